"""The kiosk core: money, the pay flow, recovery and the CLI."""
