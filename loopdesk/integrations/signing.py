"""The HMAC signature of webhook messages, both ways (pure functions, no database).

The signed text is "<timestamp>.<body>", the timestamp being Unix seconds sent in
`X-Loopdesk-Timestamp`; the signature is `sha256=<hex HMAC-SHA256 with the endpoint secret>` in
`X-Loopdesk-Signature`. A receiver recomputes it over the raw body and compares in constant time,
and refuses timestamps more than five minutes away from its clock (replays)."""

from __future__ import annotations

import hashlib
import hmac

TOLERANCE_SECONDS = 300


def sign(secret: str, timestamp: int | str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(secret: str, timestamp: str | None, signature: str | None, body: bytes, *, now: float) -> bool:
    """True if `signature` is ours over `timestamp.body` and the timestamp is within the tolerance."""
    if not timestamp or not signature or not timestamp.isdigit() or len(timestamp) > 12:
        return False
    if abs(now - int(timestamp)) > TOLERANCE_SECONDS:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), signature.strip())
