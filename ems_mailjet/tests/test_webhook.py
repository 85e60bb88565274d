"""The Mailjet event webhook over real HTTP (controllers/main.py): R7, D4, D8."""

import base64
import json
from datetime import date, datetime
from urllib.parse import unquote, urlsplit

from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

T0 = 1767261600  # 2026-01-01 10:00:00 UTC
T0_ODOO = datetime(2026, 1, 1, 10, 0)
MESSAGE_ID = 19421777835146490  # above 2**53
NOTE = "Unsubscribed in Mailjet (webhook)"
SPAM_NOTE = "Reported as spam in Mailjet (webhook)"


@tagged("post_install", "-at_install", "ems_mailjet")
class TestWebhook(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        interfaces = cls.env["ems.interface"]
        cls.interface = interfaces.create(
            {
                "name": "Mailjet (webhook test)",
                "api_key": "public-key-webhook",
                "api_secret": "s3cr3t-webhook-API-password",
                "api_url": "http://127.0.0.1:9/",
                "tz": "Europe/Berlin",
            }
        )
        cls.other_interface = interfaces.create(
            {
                "name": "Mailjet (other account)",
                "api_key": "public-key-other",
                "api_secret": "s3cr3t-other-API-password",
                "api_url": "http://127.0.0.1:9/",
            }
        )
        campaigns = cls.env["utm.campaign"]
        cls.spring = campaigns.create(cls._newsletter("Spring newsletter", "101", cls.interface))
        cls.autumn = campaigns.create(cls._newsletter("Autumn newsletter", "102", cls.interface))
        cls.foreign = campaigns.create(
            cls._newsletter("Other account's newsletter", "101", cls.other_interface)
        )
        participants = cls.env["ems.campaign.participant"]
        cls.anna = participants.create({"campaign_id": cls.spring.id, "email": "Anna@Example.com"})
        cls.anna_autumn = participants.create(
            {"campaign_id": cls.autumn.id, "email": "anna@example.com"}
        )
        cls.anna_foreign = participants.create(
            {"campaign_id": cls.foreign.id, "email": "anna@example.com"}
        )
        cls.bob = participants.create({"campaign_id": cls.spring.id, "email": "bob@example.com"})
        cls.everyone = cls.anna | cls.anna_autumn | cls.anna_foreign | cls.bob

    @staticmethod
    def _newsletter(title, list_id, interface):
        return {
            "title": title,
            "mailjet_newsletter": True,
            "mailjet_list_id": list_id,
            "mailjet_interface_id": interface.id,
        }

    # ------------------------------------------------------------------ helpers
    def post(self, payload=None, raw=None, token=None, credentials=None, interface=None):
        interface = interface or self.interface
        token = interface.webhook_token if token is None else token
        if credentials is None:
            credentials = (interface.webhook_user, interface.webhook_password)
        headers = {"Content-Type": "application/json"}
        if credentials:
            pair = f"{credentials[0]}:{credentials[1]}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
        data = raw if raw is not None else json.dumps(payload)
        response = self.url_open(f"/ems_mailjet/webhook/{token}", data=data, headers=headers)
        self.env.invalidate_all()
        return response

    def unsub(self, email="anna@example.com", list_id=101, time=T0, **extra):
        return {
            "event": "unsub",
            "time": time,
            "email": email,
            "mj_list_id": list_id,
            "mj_contact_id": 4711,
            "MessageID": MESSAGE_ID,
            **extra,
        }

    def snapshot(self):
        """Everything the webhook may change, to prove that nothing changed."""
        self.env.invalidate_all()
        return {
            "participants": [
                (p.state, p.declined_at, p.mailjet_synced_state, len(p.message_ids))
                for p in self.everyone
            ],
            "runs": self.env["ems.mailjet.sync.run"].search_count([("trigger", "=", "webhook")]),
        }

    def notes(self, participant, text=NOTE):
        return participant.message_ids.filtered(lambda m: text in (m.body or ""))

    def runs(self, interface=None):
        return self.env["ems.mailjet.sync.run"].search(
            [("interface_id", "=", (interface or self.interface).id), ("trigger", "=", "webhook")]
        )

    # ------------------------------------------------------------------ R7
    def test_R7_unsub_declines_the_participant_at_once_with_the_event_date(self):
        response = self.post([self.unsub(email="ANNA@example.com")])
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json(), {"status": "ok", "declined": 1, "ignored": 0})
        self.assertEqual(self.anna.state, "declined")
        self.assertEqual(self.anna.declined_at, T0_ODOO)
        self.assertEqual(self.anna.mailjet_synced_state, "declined")
        [note] = self.notes(self.anna)
        self.assertIn("2026", note.body)
        self.assertIn("(Europe/Berlin)", note.body)
        # only that list: the same address elsewhere and other addresses are untouched
        self.assertEqual(self.anna_autumn.state, "accepted")
        self.assertEqual(self.anna_foreign.state, "accepted")
        self.assertEqual(self.bob.state, "accepted")
        run = self.runs()
        self.assertEqual(len(run), 1)
        self.assertEqual((run.state, run.declined_from_mailjet), ("done", 1))
        self.assertIn("anna@example.com", run.log)
        self.assertIn("Spring newsletter", run.log)

    def test_R7_version_1_single_object_is_accepted(self):
        response = self.post(self.unsub(email="bob@example.com"))
        self.assertEqual(response.json(), {"status": "ok", "declined": 1, "ignored": 0})
        self.assertEqual(self.bob.state, "declined")
        self.assertEqual(self.bob.declined_at, T0_ODOO)

    def test_R7_earliest_event_of_a_batch_is_the_decline_date(self):
        later = self.unsub(time=T0 + 3600, MessageID=2)
        earlier = self.unsub(time=T0, MessageID=1)
        response = self.post([later, earlier, earlier])
        self.assertEqual(response.json()["declined"], 1)
        self.assertEqual(self.anna.declined_at, T0_ODOO)
        self.assertEqual(len(self.notes(self.anna)), 1)

    def test_R7_replay_changes_nothing(self):
        batch = [self.unsub(), self.unsub(email="bob@example.com")]
        self.assertEqual(self.post(batch).json()["declined"], 2)
        before = self.snapshot()
        response = self.post(batch)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json(), {"status": "ok", "declined": 0, "ignored": 2})
        self.assertEqual(self.snapshot(), before)
        self.assertEqual(len(self.runs()), 1)

    def test_D4_already_declined_participant_keeps_its_date_and_chatter(self):
        first = datetime(2025, 6, 1, 8, 0)
        self.anna.write({"state": "declined", "declined_at": first})
        self.env.flush_all()
        messages = len(self.anna.message_ids)
        response = self.post([self.unsub()])
        self.assertEqual(response.json(), {"status": "ok", "declined": 0, "ignored": 1})
        self.assertEqual(self.anna.declined_at, first)
        self.assertEqual(len(self.anna.message_ids), messages)
        # what Mailjet confirmed is recorded, without chatter
        self.assertEqual(self.anna.mailjet_synced_state, "declined")
        run = self.runs()
        self.assertEqual((run.state, run.declined_from_mailjet), ("done", 0))
        self.assertIn("already declined", run.log)

    def test_unknown_address_is_ignored(self):
        before = self.snapshot()
        response = self.post([self.unsub(email="nobody@example.com")])
        self.assertEqual(response.json(), {"status": "ok", "declined": 0, "ignored": 1})
        self.assertEqual(self.snapshot(), before)

    def test_event_for_another_list_changes_nothing(self):
        before = self.snapshot()
        response = self.post([self.unsub(list_id=999), self.unsub(list_id=None)])
        self.assertEqual(response.json(), {"status": "ok", "declined": 0, "ignored": 2})
        self.assertEqual(self.snapshot(), before)

    def test_event_for_another_interfaces_list_changes_nothing(self):
        """List 201 exists, but only in the other Mailjet account."""
        self.foreign.mailjet_list_id = "201"
        self.env.flush_all()
        before = self.snapshot()
        response = self.post([self.unsub(list_id=201)])
        self.assertEqual(response.json()["declined"], 0)
        self.assertEqual(self.snapshot(), before)

    def test_same_list_id_in_another_account_is_not_touched(self):
        """Both accounts have a list 101: the token decides whose participants change."""
        self.post([self.unsub()])
        self.assertEqual(self.anna.state, "declined")
        self.assertEqual(self.anna_foreign.state, "accepted")

    def test_campaign_without_newsletter_tick_is_not_touched(self):
        self.spring.mailjet_newsletter = False
        self.env.flush_all()
        before = self.snapshot()
        self.post([self.unsub()])
        self.assertEqual(self.snapshot(), before)

    def test_D4_spam_declines_in_every_list_of_that_interface(self):
        spam = {
            "event": "spam",
            "time": T0,
            "email": "anna@example.com",
            "MessageID": MESSAGE_ID,
            "source": "JMRPP",
        }
        response = self.post([spam])
        self.assertEqual(response.json(), {"status": "ok", "declined": 2, "ignored": 0})
        for participant in (self.anna, self.anna_autumn):
            self.assertEqual(participant.state, "declined")
            self.assertEqual(participant.declined_at, T0_ODOO)
            self.assertEqual(len(self.notes(participant, SPAM_NOTE)), 1)
        self.assertEqual(self.anna_foreign.state, "accepted")
        self.assertEqual(self.bob.state, "accepted")
        self.assertEqual(self.runs().declined_from_mailjet, 2)

    def test_hard_bounce_flags_blocked_is_logged(self):
        def states():
            self.env.invalidate_all()
            return [(p.state, p.declined_at, p.mailjet_synced_state) for p in self.everyone]

        before = states()
        response = self.post(
            [
                {
                    "event": "bounce",
                    "time": T0,
                    "email": "anna@example.com",
                    "hard_bounce": True,
                    "blocked": True,
                    "error": "user unknown",
                    "MessageID": MESSAGE_ID,
                },
                {"event": "blocked", "time": T0, "email": "bob@example.com", "error": "preblocked"},
                {"event": "open", "time": T0, "email": "bob@example.com"},
            ]
        )
        self.assertEqual(response.json(), {"status": "ok", "declined": 0, "ignored": 2})
        self.assertEqual(states(), before, "states and dates unchanged")
        self.assertTrue(self.anna.mailjet_hard_bounce)
        self.assertFalse(self.bob.mailjet_hard_bounce)
        codes = self.runs().line_ids.mapped("code")
        self.assertIn("webhook_hard_bounce", codes)
        self.assertIn("webhook_blocked", codes)

    def test_D5_unsubscribe_older_than_a_later_consent_does_not_decline_again(self):
        self.anna.write({"consent_date": date(2026, 1, 5), "consent_note": "Phone call"})
        self.env.flush_all()
        before = self.snapshot()
        self.post([self.unsub()])  # event of 2026-01-01, delivered late
        self.assertEqual(self.snapshot(), before)

    # ------------------------------------------------------------------ D8 and errors
    @mute_logger("odoo.addons.ems_mailjet.controllers.main")
    def test_D8_wrong_credentials_401_nothing_changes(self):
        before = self.snapshot()
        password = self.interface.webhook_password
        other = self.other_interface
        attempts = [
            (self.interface.webhook_user, "wrong-password"),
            ("wrong-user", password),
            (other.webhook_user, other.webhook_password),  # another interface's credentials
            False,  # none at all
        ]
        for credentials in attempts:
            with self.assertLogs("odoo.addons.ems_mailjet.controllers.main", "WARNING") as logs:
                response = self.post([self.unsub()], credentials=credentials)
            self.assertEqual(response.status_code, 401)
            self.assertEqual(response.headers["WWW-Authenticate"], 'Basic realm="ems_mailjet"')
            log = "\n".join(logs.output)
            self.assertNotIn(password, log)
            self.assertNotIn(self.interface.webhook_token, log)
            self.assertNotIn(password, response.text)
        self.assertEqual(self.snapshot(), before)

    @mute_logger("odoo.addons.ems_mailjet.controllers.main")
    def test_D8_malformed_authorization_header_401(self):
        headers = {"Content-Type": "application/json", "Authorization": "Basic %%%not-base64"}
        response = self.url_open(
            f"/ems_mailjet/webhook/{self.interface.webhook_token}",
            data=json.dumps([self.unsub()]),
            headers=headers,
        )
        self.assertEqual(response.status_code, 401)
        self.env.invalidate_all()
        self.assertEqual(self.anna.state, "accepted")

    def test_D8_unknown_token_404_nothing_changes(self):
        before = self.snapshot()
        for token in ("not-a-token", self.interface.webhook_token[:-1], "x" * 300):
            response = self.post([self.unsub()], token=token)
            self.assertEqual(response.status_code, 404)
        self.assertEqual(self.snapshot(), before)

    def test_D8_archived_interface_404(self):
        self.interface.active = False
        self.env.flush_all()
        response = self.post([self.unsub()])
        self.assertEqual(response.status_code, 404)
        self.assertEqual(self.anna.state, "accepted")

    def test_D8_the_registered_webhook_url_works(self):
        """The URL the admin registers in Mailjet carries the right credentials."""
        parts = urlsplit(self.interface.webhook_url)
        self.assertTrue(parts.path.endswith(self.interface.webhook_token))
        credentials = (unquote(parts.username), unquote(parts.password))
        response = self.url_open(
            parts.path,
            data=json.dumps([self.unsub()]),
            headers={
                "Content-Type": "application/json",
                "Authorization": "Basic "
                + base64.b64encode(":".join(credentials).encode()).decode(),
            },
        )
        self.assertEqual(response.status_code, 200)
        self.env.invalidate_all()
        self.assertEqual(self.anna.state, "declined")

    def test_D8_run_log_holds_no_secret(self):
        self.post([self.unsub()])
        log = self.runs().log
        self.assertNotIn(self.interface.webhook_password, log)
        self.assertNotIn(self.interface.webhook_token, log)
        self.assertNotIn(self.interface.webhook_user, log)

    @mute_logger("odoo.addons.ems_mailjet.controllers.main")
    def test_bad_json_400_nothing_changes(self):
        before = self.snapshot()
        for raw in ("not json", '{"event": "unsub", ', '"unsub"'):
            response = self.post(raw=raw)
            self.assertEqual(response.status_code, 400)
            self.assertEqual(response.json()["status"], "error")
        self.assertEqual(self.snapshot(), before)

    def test_get_is_not_allowed(self):
        response = self.url_open(f"/ems_mailjet/webhook/{self.interface.webhook_token}")
        self.assertEqual(response.status_code, 405)
