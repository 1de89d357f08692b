"""Smart cards over PC/SC: APDUs, BER-TLV, the account IC card and EMV bank cards."""
