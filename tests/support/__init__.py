"""Shared test fixtures: real services, ports, processes."""
