"""Hardware emulators that speak the real wire protocols and know the ground truth."""
