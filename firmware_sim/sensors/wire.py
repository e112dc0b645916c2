"""The probes' line protocol on the emulator side: format readings, break them on purpose.

Every fault is built so that it is detectably invalid under the documented protocol (see the
package docstring): a garbled line carries a byte the grammar never allows, a truncated line ends
inside a field, a spike is outside the probe's measuring range. That keeps the exported truth
exact: a line is either a valid reading with known values or a rejection the driver must count.
"""

from __future__ import annotations

from typing import Final

import numpy as np

EOL: Final = b"\r\n"
TEMP_RANGE: Final = (-40.0, 60.0)  # the emulated probe's measuring range, °C
RH_RANGE: Final = (0.0, 100.0)
# Bytes that never occur in a valid line (no whitespace, no line ends, nothing of the grammar).
_NOISE: Final = bytes([*range(0x00, 0x09), *range(0x0E, 0x20), *b"#?~@!", *range(0x80, 0x100)])
_SPIKES_T: Final = (-99.9, 327.6, 185.3, 99.9, -60.0)
_SPIKES_RH: Final = (-12.4, 199.9, 130.0)


def on_wire(value: float) -> float:
    """The value a reading carries once printed with one decimal (what a parser gets back)."""
    return float(f"{value:.1f}")


def cs2_hex(data: bytes) -> bytes:
    """CS2: the sum of the bytes modulo 256 as two upper-case hex digits."""
    return b"%02X" % (sum(data) & 0xFF)


def body(temp: float, rh: float, checksum: bool) -> bytes:
    """A reading line without its line end: RH first, then T, then the CS2 if enabled."""
    text = b"RH=%5.1f %%RH T=%5.1f 'C" % (rh, temp)
    if checksum:
        text += b" "
        text += cs2_hex(text)
    return text


def reading_line(temp: float, rh: float, checksum: bool) -> bytes:
    """A complete reading line as the probe sends it."""
    return body(temp, rh, checksum) + EOL


def garble(text: bytes, rng: np.random.Generator) -> bytes:
    """A line hit by line noise: one to three bytes replaced by bytes the grammar never has."""
    out = bytearray(text)
    for _ in range(int(rng.integers(1, 4))):
        out[int(rng.integers(0, len(out)))] = _NOISE[int(rng.integers(0, len(_NOISE)))]
    return bytes(out)


def truncate(text: bytes, rng: np.random.Generator) -> bytes:
    """The line cut off inside its last field (T value or unit, or the checksum's digits)."""
    start = text.rindex(b"T=") + 1  # keep at least the "T"
    end = text.rindex(b"'C") + 1  # drop at least the "C"
    cuts = list(range(start, end + 1))
    if text[-3:-2] == b" ":  # with a checksum: one digit of it is also a cut inside a field
        cuts.append(len(text) - 1)
    return text[: cuts[int(rng.integers(0, len(cuts)))]]


def spike(temp: float, rh: float, rng: np.random.Generator) -> tuple[float, float]:
    """The reading with one value replaced by an out-of-range one (an ADC glitch)."""
    if rng.random() < 0.7:
        return _SPIKES_T[int(rng.integers(0, len(_SPIKES_T)))], rh
    return temp, _SPIKES_RH[int(rng.integers(0, len(_SPIKES_RH)))]
