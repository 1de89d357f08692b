"""kiosk/flow."""
