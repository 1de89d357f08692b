"""Fixtures shared by the test packages."""

from tests.drivers.pcsc import pcscd, pcscd_service

__all__ = ["pcscd", "pcscd_service"]
