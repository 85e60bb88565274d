"""E-mail normalisation and validation, shared by the engine and the Odoo models.

The syntax and the conversion of internationalised domains are the work of the
``email-validator`` library (RFC 5321/5322, IDNA 2008 through the ``idna`` package); no DNS
is asked. What is ours: the problems we name for the user, and what we refuse on top.

``normalize_email`` makes two spellings of the same address compare equal: it trims,
lowercases, and writes an internationalised domain (``bücher.de``) in its IDNA 2008 ASCII
form (``xn--bcher-kva.de``), which is what Mailjet stores. ``straße.de`` stays its own
domain (``xn--strae-oqa.de``), never ``strasse.de``.

``validate_email`` rejects what Mailjet would reject with ``InvalidEmail``: a stable code
per problem (``InvalidEmail.code``, one of ``EMAIL_PROBLEMS``) and named parameters
(``InvalidEmail.params``), which the Odoo side renders in the reader's language. On top of
the library we refuse letters such as ``ü`` before the '@' (whether Mailjet delivers to
such SMTPUTF8 addresses is not documented, so none is sent) and a one-letter top-level
domain (none exists).
"""

from __future__ import annotations

import functools
from email.utils import parseaddr

from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError
from email_validator import validate_email as _library_validate
from email_validator.syntax import validate_email_local_part

__all__ = [
    "EMAIL_PROBLEMS",
    "InvalidEmail",
    "extract_email",
    "is_valid_email",
    "normalize_email",
    "unicode_domain_spelling",
    "validate_email",
]

MAX_EMAIL_LENGTH = 254
MAX_LOCAL_LENGTH = 64


# The library's options: syntax only (no DNS), no quoted local part, no IP literal, no
# display name, nothing but ASCII before the '@'.
_SYNTAX_ONLY = {
    "check_deliverability": False,
    "allow_smtputf8": False,
    "allow_quoted_local": False,
    "allow_domain_literal": False,
    "allow_display_name": False,
    "allow_empty_local": False,
    "strict": True,
}


@functools.lru_cache(maxsize=2048)
def _checked_domain(domain: str) -> tuple[str, str] | None:
    """``(ASCII domain, Unicode domain)`` of a domain the library accepts, or ``None``.

    Checking a domain is most of the library's work and a list has few of them: kept."""
    try:
        result = _library_validate(f"x@{domain}", **_SYNTAX_ONLY)
    except EmailNotValidError:
        return None
    return result.ascii_domain, result.domain


def _local_part_ok(local: str) -> bool:
    """The library's verdict on the part before the '@' (same options as above)."""
    try:
        validate_email_local_part(
            local,
            allow_smtputf8=False,
            allow_empty_local=False,
            quoted_local_part=False,
            strict=True,
        )
    except EmailNotValidError:
        return False
    return True


@functools.lru_cache(maxsize=16384)
def _checked(address: str) -> tuple[str, str] | None:
    """``(part before the '@', ASCII domain)`` of an address the library accepts, or
    ``None``. With quoted local parts refused, the last '@' separates the two parts; each
    is checked by the library on its own, the domain once per domain. Remembered for the
    last addresses: a sync checks each participant's address several times."""
    local, at, domain = address.rpartition("@")
    if not at or not _local_part_ok(local):
        return None
    domains = _checked_domain(domain)
    if domains is None or len(local) + 1 + len(domains[0]) > MAX_EMAIL_LENGTH:
        return None
    return local, domains[0]


def normalize_email(value: str | None) -> str:
    """Trim, lowercase and convert an IDN domain to its IDNA 2008 ASCII form. Never raises.

    >>> normalize_email("  Anna.Muster@Bücher.DE ")
    'anna.muster@xn--bcher-kva.de'
    >>> normalize_email("info@straße.de")
    'info@xn--strae-oqa.de'

    Something that is not an address comes back trimmed and lowercased (its domain still
    converted when the domain alone is valid); use ``validate_email`` to reject it.
    """
    text = (value or "").strip()
    local, at, domain = text.rpartition("@")
    if not at:
        return text.lower()
    domains = _checked_domain(domain)
    return f"{local.lower()}@{domains[0] if domains else domain.lower()}"


def unicode_domain_spelling(email: str) -> str:
    """The address with its domain in Unicode (IDNA 2008), as Odoo's own ``email_normalize``
    keeps it for contacts: ``info@xn--strae-oqa.de`` gives ``info@straße.de``. An address
    whose domain is plain ASCII or not valid comes back unchanged."""
    local, at, domain = email.rpartition("@")
    if not at or "xn--" not in domain.lower():
        return email
    domains = _checked_domain(domain)
    return f"{local}@{domains[1]}" if domains else email


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
    "email_domain_no_dot": "The domain of %(email)s has no dot; a domain looks like example.com.",
    "email_domain_invalid": "The domain of %(email)s is not a valid domain name.",
    "email_too_long": "The e-mail address %(email)s is longer than %(max)s characters.",
    "email_local_too_long": (
        "The part before the '@' of %(email)s is longer than %(max)s characters."
    ),
    "email_local_not_ascii": (
        "The part before the '@' of %(email)s contains letters outside the basic Latin "
        "alphabet (such as ü or ß); only the domain after the '@' may contain them."
    ),
    "email_local_chars": (
        "The part before the '@' of %(email)s contains characters that are not allowed."
    ),
    "email_domain_chars": "The domain of %(email)s contains characters that are not allowed.",
    "email_domain_reserved": (
        "The domain of %(email)s is reserved for special use (such as .local or .test) "
        "and cannot receive e-mail."
    ),
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

    The library decides whether the address is valid; the code says why it is not. On top
    of the library, a one-letter top-level domain is refused.
    """
    raw = (value or "").strip()
    if not raw:
        raise InvalidEmail("email_empty")
    checked = _checked(raw)
    if checked is None:
        code = _problem(raw)
        raise InvalidEmail(code, email=raw, **_LIMITS.get(code, {}))
    local, ascii_domain = checked
    if len(ascii_domain.rpartition(".")[2]) < 2:
        raise InvalidEmail("email_domain_invalid", email=raw)
    return f"{local.lower()}@{ascii_domain}"


_LIMITS = {
    "email_too_long": {"max": MAX_EMAIL_LENGTH},
    "email_local_too_long": {"max": MAX_LOCAL_LENGTH},
}


def _problem(raw: str) -> str:
    """Which problem to name for an address the library refused: the first that applies,
    from the plain ones (spaces, the '@', dots) to the part that fails on its own."""
    if any(ch.isspace() for ch in raw):
        return "email_spaces"
    ats = raw.count("@")
    if ats != 1:
        return "email_no_at" if not ats else "email_many_at"
    local, _at, domain = raw.partition("@")
    if not local:
        return "email_nothing_before_at"
    if not domain:
        return "email_nothing_after_at"
    for part, code in ((local, "email_local_dots"), (domain, "email_domain_dots")):
        if part.startswith(".") or part.endswith(".") or ".." in part:
            return code
    if "." not in domain:
        return "email_domain_no_dot"
    if len(raw) > MAX_EMAIL_LENGTH:
        return "email_too_long"
    if len(local) > MAX_LOCAL_LENGTH:
        return "email_local_too_long"
    if not _local_part_ok(local):
        if any(not ch.isascii() and ch.isalpha() for ch in local):
            return "email_local_not_ascii"
        return "email_local_chars"
    if _checked_domain(domain) is None:
        labels = domain.split(".")
        if any(not (ch.isalnum() or ch in "-.") for ch in domain) or any(
            label.startswith("-") or label.endswith("-") for label in labels
        ):
            return "email_domain_chars"
        if _is_special_use(domain):
            return "email_domain_reserved"
        return "email_domain_invalid"
    return "email_too_long"


def _is_special_use(domain: str) -> bool:
    """A name reserved for special use (``.local``, ``.test``, ``.invalid``, …), which can
    never receive mail from the internet: the library's list."""
    name = domain.lower()
    return any(name == d or name.endswith("." + d) for d in SPECIAL_USE_DOMAIN_NAMES)


def is_valid_email(value: str | None) -> bool:
    """True when ``validate_email`` accepts the address."""
    try:
        validate_email(value)
    except InvalidEmail:
        return False
    return True
