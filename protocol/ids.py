"""Stable event IDs: the same physical event always gets the same ID, wherever it is made."""

from __future__ import annotations

import hashlib

EVENT_ID_HEX_LEN = 24
EVENT_ID_PATTERN = rf"^[0-9a-f]{{{EVENT_ID_HEX_LEN}}}$"


def make_event_id(*parts: str | int) -> str:
    """Return a 96-bit hex ID hashed from what defines an event (gateway, kind, content)."""
    text = "\x1f".join(str(p) for p in parts)
    return hashlib.blake2b(text.encode(), digest_size=EVENT_ID_HEX_LEN // 2).hexdigest()
