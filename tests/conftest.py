"""Fixtures shared by the test packages."""

import os

# Screens render offscreen: the same pixels with or without a display.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from tests.drivers.pcsc import pcscd, pcscd_service, slot

__all__ = ["pcscd", "pcscd_service", "slot"]
