"""Mailjet event webhooks in plain Python (services/webhook.py): parsing and decisions."""

import json
from datetime import date, datetime, timezone

import pytest

from ems_mailjet.services.webhook import (
    Decisions,
    MailjetEvent,
    ParsedEvents,
    WebhookDecline,
    decide,
    parse_events,
    predates_consent,
)

T0 = 1767261600  # 2026-01-01 10:00:00 UTC
RECEIVED = datetime(2026, 1, 2, 8, 0, tzinfo=timezone.utc)
BIG_ID = 19421777835146490  # above 2**53: a float would make it ...488


def utc(seconds):
    return datetime.fromtimestamp(seconds, tz=timezone.utc)


def unsub(email="anna@example.com", list_id=101, time=T0, message_id=BIG_ID, **extra):
    return {
        "event": "unsub",
        "time": time,
        "email": email,
        "mj_list_id": list_id,
        "MessageID": message_id,
        "mj_contact_id": 7,
        **extra,
    }


def spam(email="anna@example.com", time=T0, message_id=BIG_ID, **extra):
    return {
        "event": "spam",
        "time": time,
        "email": email,
        "MessageID": message_id,
        "source": "JMRPP",
        **extra,
    }


def body(payload):
    return json.dumps(payload).encode()


def events(*payloads):
    return parse_events(body(list(payloads)), received_at=RECEIVED).events


# ------------------------------------------------------------------------- parsing
def test_version_1_single_object_is_one_event():
    parsed = parse_events(body(unsub()), received_at=RECEIVED)
    assert isinstance(parsed, ParsedEvents)
    assert parsed.version == 1 and parsed.skipped == 0
    [event] = parsed.events
    assert event == MailjetEvent(
        event="unsub",
        email="anna@example.com",
        time=utc(T0),
        list_id=101,
        message_id=str(BIG_ID),
        contact_id=7,
    )
    assert event.raw["mj_contact_id"] == 7


def test_version_2_array_is_a_batch_of_mixed_types():
    parsed = parse_events(
        body(
            [
                unsub(),
                spam(email="bob@example.com"),
                {"event": "open", "time": T0, "email": "c@example.com", "MessageID": 1},
            ]
        ),
        received_at=RECEIVED,
    )
    assert parsed.version == 2 and parsed.skipped == 0
    assert [e.event for e in parsed] == ["unsub", "spam", "open"]
    assert len(parsed) == 3


def test_empty_array_is_no_events():
    parsed = parse_events(b"[]")
    assert parsed.events == [] and parsed.skipped == 0 and parsed.version == 2


def test_str_body_and_utf8_bom_are_accepted():
    assert len(parse_events(json.dumps(unsub()))) == 1
    assert len(parse_events(b"\xef\xbb\xbf" + body(unsub()))) == 1


def test_message_id_above_2_pow_53_is_kept_exact():
    raw = (
        b'{"event": "unsub", "time": 1767261600, "email": "a@example.com", '
        b'"mj_list_id": 101, "MessageID": 19421777835146490}'
    )
    [event] = parse_events(raw).events
    assert event.message_id == "19421777835146490"
    assert float(19421777835146490) != 19421777835146490  # what a float would have done
    assert event.raw["MessageID"] == 19421777835146490


def test_message_id_as_text_or_fraction_never_goes_through_a_float():
    [a] = events(unsub(message_id="19421777835146491"))
    assert a.message_id == "19421777835146491"
    [b] = parse_events(
        b'{"event": "unsub", "email": "a@example.com", "MessageID": 19421777835146493.0}'
    ).events
    assert b.message_id == "19421777835146493"


def test_event_type_is_lower_cased_and_email_normalised():
    [event] = events(
        unsub(email="  Anna.Muster@Bücher.DE "),
    )
    assert event.email == "anna.muster@xn--bcher-kva.de"
    [event] = events({"event": " UNSUB ", "email": "a@example.com", "mj_list_id": "101"})
    assert event.event == "unsub" and event.list_id == 101


def test_time_is_aware_utc_and_missing_time_falls_back_to_receipt():
    [with_time, text_time, without, garbage, huge] = events(
        unsub(),
        unsub(time=str(T0)),
        unsub(time=None),
        unsub(time="yesterday"),
        unsub(time=10**20),
    )
    assert with_time.time == utc(T0) and with_time.time.tzinfo == timezone.utc
    assert text_time.time == utc(T0)
    assert without.time == garbage.time == huge.time == RECEIVED


def test_hard_bounce_and_blocked_flags():
    [hard, soft, blocked] = events(
        {
            "event": "bounce",
            "email": "a@example.com",
            "hard_bounce": True,
            "blocked": False,
            "error": "user unknown",
        },
        {"event": "bounce", "email": "a@example.com", "hard_bounce": False},
        {"event": "blocked", "email": "a@example.com", "error": "preblocked"},
    )
    assert hard.hard_bounce is True and hard.error == "user unknown"
    assert soft.hard_bounce is False
    assert blocked.event == "blocked" and blocked.error == "preblocked"


def test_events_without_email_or_with_unknown_type_are_skipped_and_counted():
    parsed = parse_events(
        body(
            [
                unsub(),
                {"event": "unsub", "mj_list_id": 101},  # no e-mail
                {"event": "unsub", "email": "", "mj_list_id": 101},  # empty e-mail
                {"event": "unsub", "email": "not-an-address"},  # no @
                {"event": "forward", "email": "a@example.com"},  # unknown type
                {"email": "a@example.com"},  # no type
                "unsub",  # not an object
                42,
            ]
        )
    )
    assert len(parsed.events) == 1
    assert parsed.skipped == 7


@pytest.mark.parametrize(
    "raw",
    [b"", b"   ", b"not json", b'{"event": ', b"\xff\xfe{}", b"NaN", b"[1, NaN]"],
)
def test_bad_json_raises_value_error_with_a_clear_message(raw):
    with pytest.raises(ValueError, match="request body"):
        parse_events(raw)


@pytest.mark.parametrize("raw", [b'"unsub"', b"42", b"null", b"true"])
def test_json_of_the_wrong_shape_raises_value_error(raw):
    with pytest.raises(ValueError, match="JSON object .* or an array"):
        parse_events(raw)


# ------------------------------------------------------------------------ deciding
def test_R7_unsub_declines_the_address_in_that_list():
    decisions = decide(events(unsub()), [101, 102])
    assert decisions.declines == [WebhookDecline("anna@example.com", 101, utc(T0), "unsub")]
    assert decisions.ignored == decisions.duplicates == 0 and decisions.reported == []


def test_unsub_for_a_list_of_another_interface_or_without_list_is_ignored():
    decisions = decide(events(unsub(list_id=999), unsub(list_id=None)), [101])
    assert decisions.declines == []
    assert decisions.ignored == 2


def test_D4_spam_declines_the_address_in_every_list_of_the_interface():
    decisions = decide(events(spam()), ["101", 102, "", None])
    assert [(d.email, d.list_id, d.reason) for d in decisions.declines] == [
        ("anna@example.com", 101, "spam"),
        ("anna@example.com", 102, "spam"),
    ]
    assert decide(events(spam()), []).declines == []


def test_hard_bounce_and_blocked_are_reported_only():
    decisions = decide(
        events(
            {"event": "bounce", "email": "a@example.com", "hard_bounce": True},
            {"event": "blocked", "email": "b@example.com"},
            {"event": "bounce", "email": "c@example.com", "hard_bounce": False},
        ),
        [101],
    )
    assert decisions.declines == []
    assert [e.email for e in decisions.reported] == ["a@example.com", "b@example.com"]
    assert decisions.ignored == 1  # the soft bounce


def test_sent_open_click_are_ignored():
    decisions = decide(
        events(
            *(
                {"event": kind, "email": "a@example.com", "MessageID": 1}
                for kind in ("sent", "open", "click")
            )
        ),
        [101],
    )
    assert decisions == Decisions(ignored=3)


def test_duplicates_within_a_batch_count_once():
    decisions = decide(events(unsub(), unsub(), unsub(email="ANNA@example.com")), [101])
    assert len(decisions.declines) == 1
    assert decisions.duplicates == 2


def test_same_message_at_another_time_is_no_duplicate_but_still_one_decline():
    decisions = decide(events(unsub(time=T0 + 60), unsub(time=T0)), [101])
    assert decisions.duplicates == 0
    assert decisions.declines == [WebhookDecline("anna@example.com", 101, utc(T0), "unsub")]


def test_earliest_event_time_per_address_and_list_is_the_decline_date():
    out_of_order = events(
        unsub(time=T0 + 300, message_id=2),
        spam(time=T0 + 100, message_id=3),
        unsub(time=T0 + 200, message_id=1),
        unsub(email="bob@example.com", time=T0 + 50, message_id=4),
    )
    decisions = decide(out_of_order, [101, 102])
    assert [(d.email, d.list_id, d.when, d.reason) for d in decisions.declines] == [
        ("anna@example.com", 101, utc(T0 + 100), "spam"),
        ("bob@example.com", 101, utc(T0 + 50), "unsub"),
        ("anna@example.com", 102, utc(T0 + 100), "spam"),
    ]
    assert decisions.emails == {"anna@example.com", "bob@example.com"}


def test_decisions_do_not_depend_on_arrival_order():
    batch = events(
        unsub(time=T0 + 5, message_id=1),
        spam(time=T0 + 9, message_id=2),
        unsub(email="bob@example.com", list_id=102, message_id=3),
    )
    assert decide(batch, [101, 102]).declines == decide(reversed(batch), [101, 102]).declines


def test_a_batch_decided_twice_gives_the_same_declines():
    batch = events(unsub(), spam(email="bob@example.com"))
    assert decide(batch, [101]) == decide(batch, [101])


def test_each_decline_names_the_event_it_came_from():
    [event] = events(unsub())
    [decline] = decide([event], [101]).declines
    assert (
        decline.event_key
        == event.dedupe_key
        == ("unsub", str(BIG_ID), utc(T0), "anna@example.com", 101)
    )


# ---------------------------------------------------------------- consent (D5)
def test_an_unsubscribe_older_than_a_later_consent_does_not_decline_again():
    when = datetime(2026, 3, 1, 23, 30, tzinfo=timezone.utc)  # 2 March in Berlin
    assert predates_consent(when, date(2026, 3, 2), "UTC")
    assert not predates_consent(when, date(2026, 3, 2), "Europe/Berlin")  # same day wins
    assert not predates_consent(when, date(2026, 3, 1), "UTC")
    assert not predates_consent(when, None, "UTC")
    assert predates_consent(when, date(2026, 3, 5), "No/Such_Zone")
