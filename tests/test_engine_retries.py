"""Exactly one retry layer: the gateway's. Over https (production) the official client
would retry inside every attempt of the gateway; these tests play Mailjet at the
connection level, so that every HTTP request is counted."""

import http.client
import io
from unittest import mock

import pytest
from urllib3.connectionpool import HTTPConnectionPool

from ems_mailjet.services.errors import MailjetUnavailable
from ems_mailjet.services.gateway import MailjetGateway, RetryPolicy


class _Socket:
    def __init__(self, raw):
        self._file = io.BytesIO(raw)

    def makefile(self, *_args, **_kw):
        return self._file


@pytest.fixture
def https_mailjet():
    """A Mailjet over https that answers every request with ``status``; counts them."""
    sent = []
    keys = []

    def answer(status):
        def make_request(self, conn, method, url, **kw):
            sent.append((method, url))
            keys.append((kw.get("headers") or {}).get("Idempotency-Key"))
            body = b"<html><body><h1>429 Too Many Requests</h1></body></html>"
            kind = "text/html"
            if status == 200:
                body, kind = b'{"Count": 7, "Data": [], "Total": 7}', "application/json"
            raw = (
                f"HTTP/1.1 {status} X\r\nContent-Type: {kind}\r\n"
                f"Content-Length: {len(body)}\r\n\r\n"
            ).encode() + body
            response = http.client.HTTPResponse(_Socket(raw), method=method)
            response.begin()
            return response

        return make_request

    def play(status):
        return mock.patch.object(HTTPConnectionPool, "_make_request", answer(status))

    with mock.patch.object(
        HTTPConnectionPool, "_get_conn", lambda self, timeout=None: mock.MagicMock()
    ):
        play.keys = keys
        yield play, sent


def gateway(attempts=3):
    return MailjetGateway(
        "key",
        "secret",
        api_url="https://api.mailjet.com/",
        retry=RetryPolicy(attempts=attempts),
        sleep=lambda _s: None,
    )


def test_a_429_storm_is_reported_as_rate_limiting_after_the_gateways_own_attempts(
    https_mailjet,
):
    play, sent = https_mailjet
    gw = gateway(attempts=3)
    with play(429), pytest.raises(MailjetUnavailable) as caught:
        gw.count_members(10001)
    note = caught.value.note()
    assert (note.params["cause"], note.params["attempts"]) == ("rate_limit", 3)
    assert len(sent) == 3, "one HTTP request per attempt, no retries inside the client"
    assert gw.calls == len(sent), "api_calls counts HTTP requests"


def test_a_post_is_sent_once_per_attempt(https_mailjet):
    play, sent = https_mailjet
    gw = gateway(attempts=2)
    with play(503), pytest.raises(MailjetUnavailable):
        gw.create_list("Spring newsletter")
    assert [method for method, _url in sent] == ["POST", "POST"]
    assert gw.calls == 2


def test_a_healthy_https_call_costs_one_request(https_mailjet):
    play, sent = https_mailjet
    gw = gateway()
    with play(200):
        assert gw.count_members(10001) == 7
    assert len(sent) == gw.calls == 1


def test_each_operation_has_its_own_key_which_its_retries_repeat(https_mailjet):
    """Were Mailjet to honour ``Idempotency-Key``, a retry would not make a second list
    and the same list created again later (same payload) would not be dropped."""
    play, sent = https_mailjet
    gw = gateway(attempts=2)
    with play(503):
        for _ in range(2):
            with pytest.raises(MailjetUnavailable):
                gw.create_list("Spring newsletter")
    first, retry, second, second_retry = play.keys
    assert first and first == retry, "an operation's retries repeat its key"
    assert second == second_retry and second != first, "a new operation has a new key"
