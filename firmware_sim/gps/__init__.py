"""Emulated GPS receivers: routes, how a truck drives them, NMEA output on ptys, truth."""
