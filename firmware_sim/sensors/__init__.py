"""Emulated serial temperature/humidity probes on pseudo-terminals.

Line protocol (modelled on the default output of Vaisala HUMICAP-style probes, e.g. HMP155):

    RH= 45.1 %RH T=   4.3 'C<CR><LF>            reading, no checksum
    RH= 45.1 %RH T=   4.3 'C 6A<CR><LF>         reading with a CS2 checksum

- ASCII, one reading per line, ended by CR LF (a driver accepts CR, LF or both).
- Fields ``RH=`` value ``%RH`` and ``T=`` value ``'C`` (``'F`` converted by the driver), each at
  most once, in any order, separated by blanks; values printed ``%5.1f``, blanks allowed after
  ``=`` and before the unit. The emulator always sends RH first, then T.
- CS2 (optional, per probe): a blank, then two upper-case hex digits: the sum modulo 256 of
  every byte of the line before those digits (the blank included).
- Measuring range: T -40 … +60 °C, RH 0 … 100 %. A value outside it is a glitch, not a reading.
- Probes carry no timestamp: the gateway stamps a line when it arrives.

Modes and commands (ASCII, ended by CR; case-insensitive): in continuous (RUN) mode the probe
sends a line every output interval; in polled (STOP) mode it is silent until asked. ``SEND``
answers one line (in either mode), ``R`` starts continuous output, ``S`` stops it.

Faults the emulator injects, each detectably invalid under the rules above: garbled lines (one
to three bytes replaced by bytes the grammar never uses), truncated lines (cut inside the last
field, then CR LF), out-of-range spikes (e.g. ``T= 327.6 'C``), stuck values (one reading
repeated digit for digit for minutes; valid, but a driver should flag it), and unplug/replug
(the pty disappears and comes back at the same symlink).

Modules: `scenario` (probes, environments, the planned lines), `climate` (the physics),
`events` (door, defrost, failure and fault schedules), `wire` (formatting and faults), `truth`
(series, excursions, ideal samples), `port` (a pty), `player` (real-time playback), `runner`
(`tagtrail sim sensors`).
"""
