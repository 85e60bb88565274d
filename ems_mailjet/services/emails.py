"""E-mail normalisation and validation, shared by the engine and the Odoo models.

``normalize_email`` makes two spellings of the same address compare equal: it trims,
lowercases, and writes an internationalised domain (``bücher.de``) in its ASCII form
(``xn--bcher-kva.de``), which is what Mailjet stores.

``validate_email`` rejects what Mailjet would reject with ``InvalidEmail``: a stable code
per problem (``InvalidEmail.code``, one of ``EMAIL_PROBLEMS``) and named parameters
(``InvalidEmail.params``), which the Odoo side renders in the reader's language.
"""

from __future__ import annotations

import re
from email.utils import parseaddr

__all__ = [
    "EMAIL_PROBLEMS",
    "InvalidEmail",
    "extract_email",
    "is_valid_email",
    "normalize_email",
    "validate_email",
]

MAX_EMAIL_LENGTH = 254
MAX_LOCAL_LENGTH = 64

# Characters allowed in an unquoted local part (RFC 5322 "atext" plus the dot).
_LOCAL_ALLOWED = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.\-]+$")
# One label of an ASCII (already punycoded) domain name.
_DOMAIN_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?$")


def _ascii_domain(domain: str) -> str:
    """The domain in lowercase ASCII; IDN labels become punycode (``xn--…``).

    Raises ``UnicodeError`` when the domain cannot be encoded (empty or over-long labels).
    """
    domain = domain.lower()
    if domain.isascii():
        return domain
    return domain.encode("idna").decode("ascii").lower()


def normalize_email(value: str | None) -> str:
    """Trim, lowercase and convert an IDN domain to ASCII. Never raises.

    >>> normalize_email("  Anna.Muster@Bücher.DE ")
    'anna.muster@xn--bcher-kva.de'

    Something that is not an address comes back trimmed and lowercased; use
    ``validate_email`` to reject it.
    """
    text = (value or "").strip()
    local, at, domain = text.rpartition("@")
    if not at:
        return text.lower()
    try:
        domain = _ascii_domain(domain)
    except UnicodeError:
        domain = domain.lower()
    return f"{local.lower()}@{domain}"


def extract_email(value: str | None) -> str:
    """The normalised address inside a display form such as ``"Anna <anna@x.de>"``.

    Odoo's e-mail fields sometimes hold a display form; plain addresses pass through.
    """
    text = (value or "").strip()
    if "<" in text and ">" in text:
        _name, address = parseaddr(text)
        if address:
            text = address
    return normalize_email(text)


# What ``validate_email`` can refuse: a stable code per problem and its English sentence.
# The Odoo side renders each code in the reader's language from its own table; the English
# here is what ``str()`` of the exception says (logs, and callers without a translation).
EMAIL_PROBLEMS: dict[str, str] = {
    "email_empty": "The e-mail address is empty.",
    "email_spaces": "The e-mail address %(email)s must not contain spaces.",
    "email_no_at": "The e-mail address %(email)s has no '@'.",
    "email_many_at": "The e-mail address %(email)s contains more than one '@'.",
    "email_nothing_before_at": "The e-mail address %(email)s has nothing before the '@'.",
    "email_nothing_after_at": "The e-mail address %(email)s has nothing after the '@'.",
    "email_local_dots": (
        "The part before the '@' of %(email)s must not start or end with a dot or contain "
        "two dots in a row."
    ),
    "email_domain_dots": (
        "The domain of %(email)s must not start or end with a dot or contain two dots in a row."
    ),
    "email_domain_no_dot": ("The domain of %(email)s has no dot; a domain looks like example.com."),
    "email_domain_invalid": "The domain of %(email)s is not a valid domain name.",
    "email_too_long": "The e-mail address %(email)s is longer than %(max)s characters.",
    "email_local_too_long": (
        "The part before the '@' of %(email)s is longer than %(max)s characters."
    ),
    "email_local_chars": (
        "The part before the '@' of %(email)s contains characters that are not allowed."
    ),
    "email_domain_chars": "The domain of %(email)s contains characters that are not allowed.",
}


class InvalidEmail(ValueError):
    """An e-mail address Mailjet would not accept.

    ``code`` names the problem (a key of ``EMAIL_PROBLEMS``) and ``params`` holds what its
    sentence needs (``email``, ``max``); a caller renders them in its reader's language.
    ``str(exc)`` is the English sentence.
    """

    def __init__(self, code: str, **params: object) -> None:
        self.code = code
        self.params = params
        super().__init__(EMAIL_PROBLEMS[code] % params)


def validate_email(value: str | None) -> str:
    """Return the normalised address, or raise ``InvalidEmail`` (a ``ValueError``).

    Checks, in this order: empty, whitespace inside, no '@', more than one '@', empty part
    before or after the '@', dots at the start or end or two in a row, domain without a
    dot, domain not encodable, total length over 254, part before the '@' over 64,
    characters not allowed, a domain label over 63 or a numeric or one-letter top-level
    domain.
    """
    raw = (value or "").strip()
    if not raw:
        raise InvalidEmail("email_empty")
    if any(ch.isspace() for ch in raw):
        raise InvalidEmail("email_spaces", email=raw)
    ats = raw.count("@")
    if ats == 0:
        raise InvalidEmail("email_no_at", email=raw)
    if ats > 1:
        raise InvalidEmail("email_many_at", email=raw)
    local, _at, domain = raw.partition("@")
    if not local:
        raise InvalidEmail("email_nothing_before_at", email=raw)
    if not domain:
        raise InvalidEmail("email_nothing_after_at", email=raw)
    for part, code in ((local, "email_local_dots"), (domain, "email_domain_dots")):
        if part.startswith(".") or part.endswith(".") or ".." in part:
            raise InvalidEmail(code, email=raw)
    if "." not in domain:
        raise InvalidEmail("email_domain_no_dot", email=raw)
    try:
        ascii_domain = _ascii_domain(domain)
    except UnicodeError:
        raise InvalidEmail("email_domain_invalid", email=raw) from None
    address = f"{local.lower()}@{ascii_domain}"
    if len(address) > MAX_EMAIL_LENGTH:
        raise InvalidEmail("email_too_long", email=raw, max=MAX_EMAIL_LENGTH)
    if len(local) > MAX_LOCAL_LENGTH:
        raise InvalidEmail("email_local_too_long", email=raw, max=MAX_LOCAL_LENGTH)
    if not _LOCAL_ALLOWED.match(local):
        raise InvalidEmail("email_local_chars", email=raw)
    labels = ascii_domain.split(".")
    if not all(_DOMAIN_LABEL.match(label) for label in labels):
        raise InvalidEmail("email_domain_chars", email=raw)
    # DNS: a label has at most 63 characters, a top-level domain is never all digits nor
    # one character; such an address can never receive mail.
    if max(map(len, labels)) > 63 or labels[-1].isdigit() or len(labels[-1]) < 2:
        raise InvalidEmail("email_domain_invalid", email=raw)
    return address


def is_valid_email(value: str | None) -> bool:
    """True when ``validate_email`` accepts the address."""
    try:
        validate_email(value)
    except InvalidEmail:
        return False
    return True
