"""Device simulators that speak the real wire protocols."""
