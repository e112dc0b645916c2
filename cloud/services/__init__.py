"""Application services: the I/O around the pure domain, one database transaction at a time."""
