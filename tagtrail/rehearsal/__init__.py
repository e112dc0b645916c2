"""Rehearsals: emulated hardware, gateways and the cloud wired together on one machine."""
