"""D8: the API secret never appears in logs, error messages or reprs."""

import base64
import logging

import pytest
from conftest import SANDBOX_KEY, SANDBOX_SECRET
from doubles import InMemoryParticipants

from ems_mailjet.services.errors import MailjetError
from ems_mailjet.services.gateway import MailjetGateway, RetryPolicy
from ems_mailjet.services.records import DECLINED
from ems_mailjet.services.sync import sync_list

FORBIDDEN = (
    SANDBOX_SECRET,
    base64.b64encode(f"{SANDBOX_KEY}:{SANDBOX_SECRET}".encode()).decode(),
)


def assert_secret_absent(text: str) -> None:
    for forbidden in FORBIDDEN:
        assert forbidden not in text


def make_gateway(sandbox, **kwargs):
    return MailjetGateway(
        SANDBOX_KEY,
        SANDBOX_SECRET,
        api_url=sandbox.url,
        sleep=lambda _s: None,
        retry=RetryPolicy(attempts=4, initial_wait=0.01, max_wait=0.01, jitter=0.01),
        **kwargs,
    )


def test_D8_secret_absent_from_logs(sandbox, caplog):
    caplog.set_level(logging.DEBUG)  # everything: the engine, mailjet_rest, urllib3
    seen_errors = []
    with make_gateway(sandbox, timeout=(2, 0.3)) as gw:
        list_id = gw.create_list("Secrets").id
        erp = InMemoryParticipants()
        erp.add("anna@example.com")
        erp.add("bernd@example.com", state=DECLINED)
        erp.add("kaputt@localhost")
        assert not sync_list(gw, list_id, erp).aborted  # a succeeding run

        sandbox.fault(kind="status", status=503, count=4)  # retried, then unavailable
        sandbox.signup(list_id, "new@example.com")
        failed = sync_list(gw, list_id, erp)
        assert failed.aborted
        seen_errors += [str(line) for line in failed.error_lines]

        sandbox.fault(kind="delay", seconds=0.6, count=2)  # timeouts
        sandbox.fault(kind="drop", count=1)  # a dropped connection
        sandbox.fault(
            kind="contact_errors", path="managemanycontacts", emails=["carla@example.com"]
        )
        erp.add("carla@example.com")
        report = sync_list(gw, list_id, erp)
        assert not report.aborted and report.errors == 2  # kaputt@localhost, carla@
        seen_errors += [str(line) for line in report.error_lines]

        sandbox.revoke()  # a rejected credential
        with pytest.raises(MailjetError) as info:
            sync_list(gw, list_id, erp)
        seen_errors += [str(info.value), repr(info.value)]

    loggers = {r.name for r in caplog.records}
    assert {"ems_mailjet.services.gateway", "mailjet_rest.client", "urllib3.connectionpool"} <= (
        loggers
    ), loggers  # the engine's own lines, the client's and the HTTP library's
    assert any(r.levelno >= logging.WARNING for r in caplog.records)
    logged = "\n".join(f"{r.getMessage()} {r.exc_text or ''} {r.args!r}" for r in caplog.records)
    assert_secret_absent(logged)
    assert_secret_absent(caplog.text)
    assert_secret_absent("\n".join(seen_errors))


def test_D8_secret_absent_from_reprs(sandbox):
    with make_gateway(sandbox) as gw:
        for text in (repr(gw), str(gw), repr(vars(gw)), repr(gw._client), str(gw._client)):
            assert_secret_absent(text)
        assert SANDBOX_KEY not in repr(gw)  # only a hint of the key


def test_D8_secret_absent_from_exception_chain(sandbox):
    sandbox.revoke()
    with make_gateway(sandbox) as gw:
        with pytest.raises(MailjetError) as info:
            gw.lists()
    chain = []
    exc = info.value
    while exc is not None:
        chain.append(f"{exc!s} {exc!r} {vars(exc)!r}")
        exc = exc.__cause__ or exc.__context__
    assert_secret_absent("\n".join(chain))
