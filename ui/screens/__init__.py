"""One module per screen; ``SCREENS`` lists them (the window maps states to them)."""
