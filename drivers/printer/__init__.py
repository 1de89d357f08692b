"""Receipt printers: ESC/POS through python-escpos, with our own status checks."""
