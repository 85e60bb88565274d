"""Small helpers: timestamps, booleans, e-mail syntax, ids."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timezone

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_EMAIL_RE = re.compile(
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    rf"@{_LABEL}(?:\.{_LABEL})+$"
)
_INT_RE = re.compile(r"^-?\d+$")
_TRUE = {"true", "1"}
_FALSE = {"false", "0"}


def valid_email(value: object) -> bool:
    """True for a syntactically plausible address (no quoting, dotted domain, alpha TLD)."""
    if not isinstance(value, str) or len(value) > 254 or not _EMAIL_RE.match(value):
        return False
    tld = value.rsplit(".", 1)[1]
    return not tld.isdigit() and len(tld) >= 2


def rfc3339(ts: int | float | None) -> str:
    """Unix seconds as ``2019-06-25T10:52:30Z``; 0/None (unset) as ``""``."""
    if not ts:
        return ""
    return datetime.fromtimestamp(int(ts), tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_ts(value: object) -> int:
    """Unix seconds from an int, a digit string or an RFC3339/ISO-8601 string (naive = UTC)."""
    if isinstance(value, bool):
        raise ValueError("boolean is not a timestamp")
    if isinstance(value, (int, float)):
        return int(value)
    text = str(value).strip()
    if _INT_RE.match(text):
        return int(text)
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return int(parsed.timestamp())


def parse_bool(value: object) -> bool:
    """Mailjet-style boolean: true/false/True/False/1/0 (also JSON booleans)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"not a boolean: {value!r}")


def parse_int(value: object) -> int:
    """Strict integer (no booleans, no floats with a fraction)."""
    if isinstance(value, bool):
        raise ValueError("boolean is not an integer")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = str(value).strip()
    if not _INT_RE.match(text):
        raise ValueError(f"not an integer: {value!r}")
    return int(text)


def guid() -> str:
    """A random GUID, as in Mailjet's ``ErrorIdentifier``."""
    return str(uuid.uuid4())


def list_address(list_id: int) -> str:
    """A stable 9-character lower-case key for a list, like Mailjet's ``Address``."""
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    n = (list_id * 2654435761 + 97) % (36**9)
    out = []
    for _ in range(9):
        n, r = divmod(n, 36)
        out.append(alphabet[r])
    return "".join(out)
