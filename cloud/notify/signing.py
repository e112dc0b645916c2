"""Webhook signatures: HMAC-SHA256 of the exact body bytes with the service's secret key."""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-Tagtrail-Signature"
EVENT_HEADER = "X-Tagtrail-Event"
PREFIX = "sha256="


def sign(secret: bytes, body: bytes) -> str:
    """The signature header value of a body: sha256=<hex HMAC>."""
    return PREFIX + hmac.new(secret, body, hashlib.sha256).hexdigest()


def verify(secret: bytes, body: bytes, header: str) -> bool:
    """Whether a received signature header matches the body (constant-time comparison)."""
    return hmac.compare_digest(sign(secret, body), header)
