"""The ``kiosk`` command: above the kiosk's core and its UI, it starts either."""
