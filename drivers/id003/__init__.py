"""JCM ID-003 bill validators: framing, the host side, and a pyserial driver."""
