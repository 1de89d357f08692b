"""The reference central server; imports only ``config``."""
