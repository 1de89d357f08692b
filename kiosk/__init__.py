"""The kiosk core: money, the pay flow, recovery, the journal's reads, the device
services, the maintenance menu's logic and the app shell that wires them."""
