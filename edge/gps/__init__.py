"""GPS receivers (NMEA 0183 over serial): parsing, position filters and reporting policy."""
