"""E-mail normalisation and validation (services/emails.py)."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ems_mailjet.services.emails import (
    EMAIL_PROBLEMS,
    InvalidEmail,
    extract_email,
    is_valid_email,
    normalize_email,
    unicode_domain_spelling,
    validate_email,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Anna.Muster@Example.COM ", "anna.muster@example.com"),
        ("anna@bücher.de", "anna@xn--bcher-kva.de"),
        ("ANNA@BÜCHER.DE", "anna@xn--bcher-kva.de"),
        ("info@münchen.example", "info@xn--mnchen-3ya.example"),
        ("already@xn--bcher-kva.de", "already@xn--bcher-kva.de"),
        ("", ""),
        (None, ""),
        ("no-at-sign ", "no-at-sign"),
    ],
)
def test_R11_normalize_email(raw, expected):
    assert normalize_email(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # IDNA 2008 keeps ß as its own letter: straße.de and strasse.de are different
        # domains with different owners (IDNA 2003 mapped ß to ss).
        ("info@straße.de", "info@xn--strae-oqa.de"),
        ("Info@Straße.DE", "info@xn--strae-oqa.de"),
        ("kasse@fußball.de", "kasse@xn--fuball-cta.de"),
        ("anna@bücher.de", "anna@xn--bcher-kva.de"),
        ("anna@öl.de", "anna@xn--l-0ga.de"),
        ("post@βόλος.com", "post@xn--nxasmm1c.com"),
        ("info@日本.jp", "info@xn--wgv71a.jp"),
        ("info@strasse.de", "info@strasse.de"),
    ],
)
def test_international_domains_use_idna_2008(raw, expected):
    assert normalize_email(raw) == expected
    assert validate_email(raw) == expected


def test_sharp_s_is_not_the_same_address_as_double_s():
    assert normalize_email("info@straße.de") != normalize_email("info@strasse.de")


@pytest.mark.parametrize(
    "raw", ["jürgen@example.de", "JÜRGEN@bücher.de", "müller@fußball.de", "ß@example.de"]
)
def test_letters_like_umlauts_before_the_at_are_refused(raw):
    """Whether Mailjet delivers to an SMTPUTF8 address is not documented: none is sent."""
    with pytest.raises(InvalidEmail) as info:
        validate_email(raw)
    assert info.value.code == "email_local_not_ascii"
    assert not is_valid_email(raw)


def test_address_with_umlauts_before_the_at_still_normalises_its_domain():
    assert normalize_email("Jürgen@Bücher.de") == "jürgen@xn--bcher-kva.de"


@pytest.mark.parametrize(
    ("stored", "odoo_spelling"),
    [
        ("info@xn--strae-oqa.de", "info@straße.de"),
        ("kasse@xn--fuball-cta.de", "kasse@fußball.de"),
        ("anna@xn--bcher-kva.de", "anna@bücher.de"),
        ("anna@example.com", "anna@example.com"),
        ("broken@xn--.de", "broken@xn--.de"),
        ("no-at-sign", "no-at-sign"),
    ],
)
def test_unicode_domain_spelling_is_how_odoo_keeps_a_contact(stored, odoo_spelling):
    assert unicode_domain_spelling(stored) == odoo_spelling


def test_validation_asks_no_dns(monkeypatch):
    """Only syntax: an address is checked without the network."""
    import socket

    import dns.resolver

    from ems_mailjet.services import emails

    emails._checked_domain.cache_clear()

    def no_network(*args, **kwargs):
        raise AssertionError("the network was asked")

    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    monkeypatch.setattr(dns.resolver.Resolver, "resolve", no_network)
    monkeypatch.setattr(dns.resolver, "resolve", no_network)
    assert validate_email("nobody@no-such-domain-for-ems-tests.de") == (
        "nobody@no-such-domain-for-ems-tests.de"
    )
    assert validate_email("kasse@fußball.de") == "kasse@xn--fuball-cta.de"


def test_normalize_never_raises_on_broken_domain():
    assert normalize_email("a@" + "x" * 70 + ".de") == "a@" + "x" * 70 + ".de"
    assert normalize_email("a@ä..de") == "a@ä..de"


def test_extract_email_from_display_form():
    assert extract_email('"Muster, Anna" <Anna@Example.com>') == "anna@example.com"
    assert extract_email("anna@example.com") == "anna@example.com"


def test_validate_returns_normalised_address():
    assert validate_email("  Anna@Bücher.DE ") == "anna@xn--bcher-kva.de"


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("", "is empty"),
        ("   ", "is empty"),
        (None, "is empty"),
        ("anna muster@example.com", "must not contain spaces"),
        ("anna@exa mple.com", "must not contain spaces"),
        ("anna\t@example.com", "must not contain spaces"),
        ("anna.example.com", "has no '@'"),
        ("anna@muster@example.com", "more than one '@'"),
        ("@example.com", "nothing before the '@'"),
        ("anna@", "nothing after the '@'"),
        ("anna@localhost", "has no dot"),
        ("anna@example.com.", "must not start or end with a dot"),
        ("anna@.example.com", "must not start or end with a dot"),
        ("anna@example..com", "two dots in a row"),
        (".anna@example.com", "must not start or end with a dot"),
        ("anna.@example.com", "must not start or end with a dot"),
        ("an..na@example.com", "two dots in a row"),
        ("a" * 65 + "@example.com", "longer than 64 characters"),
        ("a@" + ("b" * 60 + ".") * 5 + "com", "longer than 254 characters"),
        ("an,na@example.com", "characters that are not allowed"),
        ("anna@exa_mple.com", "characters that are not allowed"),
        ("anna@-example.com", "characters that are not allowed"),
    ],
)
def test_validate_rejects_with_readable_message(raw, fragment):
    with pytest.raises(ValueError) as info:
        validate_email(raw)
    message = str(info.value)
    assert fragment in message
    assert message[0].isupper() and message.endswith(".")
    assert not is_valid_email(raw)


def test_invalid_email_carries_a_code_and_parameters():
    with pytest.raises(InvalidEmail) as info:
        validate_email("anna.example.com")
    exc = info.value
    assert exc.code == "email_no_at"
    assert exc.params == {"email": "anna.example.com"}
    assert str(exc) == "The e-mail address anna.example.com has no '@'."


# One address per problem the validator names, with its code and parameters.
REFUSALS = [
    ("", "email_empty", {}),
    ("anna muster@example.com", "email_spaces", {"email": "anna muster@example.com"}),
    ("anna.example.com", "email_no_at", {"email": "anna.example.com"}),
    ("a@b@example.com", "email_many_at", {"email": "a@b@example.com"}),
    ("@example.com", "email_nothing_before_at", {"email": "@example.com"}),
    ("anna@", "email_nothing_after_at", {"email": "anna@"}),
    (".anna@example.com", "email_local_dots", {"email": ".anna@example.com"}),
    ("anna@example..com", "email_domain_dots", {"email": "anna@example..com"}),
    ("anna@localhost", "email_domain_no_dot", {"email": "anna@localhost"}),
    ("anna@example.c", "email_domain_invalid", {"email": "anna@example.c"}),
    (
        "a@" + "b" * 250 + ".com",
        "email_too_long",
        {"email": "a@" + "b" * 250 + ".com", "max": 254},
    ),
    (
        "a" * 65 + "@example.com",
        "email_local_too_long",
        {"email": "a" * 65 + "@example.com", "max": 64},
    ),
    ("an,na@example.com", "email_local_chars", {"email": "an,na@example.com"}),
    ("anna@exa_mple.com", "email_domain_chars", {"email": "anna@exa_mple.com"}),
    ("jürgen@example.de", "email_local_not_ascii", {"email": "jürgen@example.de"}),
    ("anna@printer.local", "email_domain_reserved", {"email": "anna@printer.local"}),
]


@pytest.mark.parametrize(("raw", "code", "params"), REFUSALS)
def test_each_refusal_has_its_own_code(raw, code, params):
    with pytest.raises(InvalidEmail) as info:
        validate_email(raw)
    assert (info.value.code, info.value.params) == (code, params)
    assert str(info.value) == EMAIL_PROBLEMS[code] % params


def test_every_code_is_reachable():
    """Each code in the table is one the validator can raise (pinned above)."""
    assert {code for _raw, code, _params in REFUSALS} == set(EMAIL_PROBLEMS)


@pytest.mark.parametrize(
    "raw",
    ["anna@example.com", "a.b+tag@sub.example.co.uk", "o'brien@example.ie", "x@bücher.de"],
)
def test_validate_accepts_ordinary_addresses(raw):
    assert is_valid_email(raw)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_normalize_is_idempotent_and_total(text):
    once = normalize_email(text)
    assert normalize_email(once) == once
    if is_valid_email(text):
        assert validate_email(text) == once
