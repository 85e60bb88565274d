"""POST /_sandbox/event: Mailjet's statistics and its event callbacks, as Mailjet does them."""

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from mailjet_sandbox.testing import SandboxError


@pytest.fixture
def receiver():
    """A local HTTP endpoint that records what is posted to it."""
    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((self.path, self.headers.get("Authorization"), json.loads(body)))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *_args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_port}", received
    server.shutdown()


def _campaign(sandbox, mj, name="Events"):
    list_id = mj.contactslist.create(data={"Name": name}).json()["Data"][0]["ID"]
    return list_id, sandbox.create_campaign(list_id, "Hello", {})


def test_events_update_message_and_statcounters(sandbox, mj):
    list_id, campaign_id = _campaign(sandbox, mj)
    sandbox.event("a@example.com", campaign_id, "sent")
    sandbox.event("a@example.com", campaign_id, "open")
    sandbox.event("a@example.com", campaign_id, "open")
    sandbox.event("a@example.com", campaign_id, "click", Url="https://example.com/x")
    sandbox.event("b@example.com", campaign_id, "bounce", HardBounce=True)
    rows = mj.message.get(filters={"Campaign": campaign_id, "ShowContactAlt": "true"}).json()
    status = {r["ContactAlt"]: r["Status"] for r in rows["Data"]}
    assert status == {"a@example.com": "clicked", "b@example.com": "hardbounced"}
    counters = mj.statcounters.get(
        filters={
            "CounterSource": "List",
            "SourceId": list_id,
            "CounterTiming": "Message",
            "CounterResolution": "Lifetime",
        }
    ).json()["Data"][0]
    assert counters["MessageSentCount"] == 2  # delivered, as Mailjet counts it
    assert (counters["MessageOpenedCount"], counters["EventOpenedCount"]) == (1, 2)
    assert counters["MessageClickedCount"] == 1
    assert counters["MessageHardBouncedCount"] == 1
    assert counters["Total"] == 3  # processed: delivered plus bounced


def test_event_is_posted_to_the_registered_callback_with_its_credentials(sandbox, mj, receiver):
    host, received = receiver
    mj.eventcallbackurl.create(
        data={"EventType": "open", "Url": f"http://hook:pa%3Ass@{host}/hook/tok", "Version": 2}
    )
    _list_id, campaign_id = _campaign(sandbox, mj)
    answer = sandbox.event("A@Example.com", campaign_id, "open")
    assert answer["delivered"] == [{"Url": f"http://{host}/hook/tok", "Status": 200}]
    sandbox.event("a@example.com", campaign_id, "click")  # no callback for clicks
    [(path, auth, body)] = received
    assert path == "/hook/tok"
    assert base64.b64decode(auth.split()[1]).decode() == "hook:pa:ss"
    assert isinstance(body, list) and len(body) == 1  # Version 2: a batch
    event = body[0]
    assert (event["event"], event["email"], event["mj_campaign_id"]) == (
        "open",
        "a@example.com",
        campaign_id,
    )
    assert event["MessageID"] == answer["MessageID"]


def test_bad_event_is_refused(sandbox, mj):
    _list_id, campaign_id = _campaign(sandbox, mj)
    with pytest.raises(SandboxError):
        sandbox.event("a@example.com", campaign_id, "unsub")
    with pytest.raises(SandboxError):
        sandbox.event("a@example.com", 999, "open")
