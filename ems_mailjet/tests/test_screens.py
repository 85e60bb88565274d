"""What the screens promise, against the sandbox: a hand decline reaches Mailjet, the list
is named as users see the campaign, Sync now is logged as manual, and Test connection
answers at once without writing anything the background synchronisation writes."""

import socket
import time
from unittest.mock import patch

from odoo.exceptions import UserError
from odoo.tests import common as odoo_test_common
from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.ems_mailjet.models.ems_interface import TEST_CONNECTION_TIMEOUT

from .common import EmsMailjetCase
from .common_sandbox import MailjetSandboxCase

MAILJET_LOGGERS = ("odoo.addons.ems_mailjet.models.ems_interface", "mailjet_rest")


@tagged("post_install", "-at_install")
class TestScreensWithMailjet(MailjetSandboxCase):
    def test_R9_declined_by_hand_is_unsubscribed_at_the_next_sync(self):
        caller = self.participant(email="caller@example.com")
        self.sync()
        self.assertFalse(self.mailjet_list()["caller@example.com"]["IsUnsubscribed"])
        caller.with_user(self.campaign_user).action_decline()
        run = self.sync()
        self.assertTrue(self.mailjet_list()["caller@example.com"]["IsUnsubscribed"])
        self.assertEqual(run.unsubscribed_in_mailjet, 1)
        self.assertEqual(caller.mailjet_synced_state, "declined")

    def test_R4_list_takes_the_title_in_the_interface_language(self):
        self.env["res.lang"]._activate_lang("de_DE")
        self.interface.lang = "de_DE"
        self.campaign.with_context(lang="en_US").title = "Staff news"
        self.campaign.with_context(lang="de_DE").title = "Mitarbeiter-News intern"
        for lang in ("en_US", "de_DE"):
            with self.subTest(user_lang=lang):
                name = self.campaign.with_context(lang=lang)._mailjet_list_name()
                self.assertEqual(name, "Mitarbeiter-News intern")
        self.interface.with_context(lang="en_US")._sync_now()
        self.env.invalidate_all()
        self.assertIn("Mitarbeiter-News intern", self.list_names())
        self.assertNotIn("Staff news", self.list_names())
        self.assertEqual(self.campaign.mailjet_list_name, "Mitarbeiter-News intern")
        # renamed in German: the list follows at the next run
        self.campaign.with_context(lang="de_DE").title = "Mitarbeiter-News"
        self.interface.with_context(lang="en_US")._sync_now()
        self.env.invalidate_all()
        self.assertIn("Mitarbeiter-News", self.list_names())
        self.assertEqual(self.campaign.mailjet_list_name, "Mitarbeiter-News")

    def test_interface_language_defaults_to_the_company_language(self):
        self.env["res.lang"]._activate_lang("de_DE")
        self.env.company.partner_id.lang = "de_DE"
        interface = self.env["ems.interface"].create(
            {"name": "Second", "api_url": "http://127.0.0.1:9/"}
        )
        self.assertEqual(interface.lang, "de_DE")

    def test_sync_now_is_logged_as_manual(self):
        self.interface.action_sync_now()
        self.assertTrue(self.interface.sync_requested)
        self.env["ems.interface"]._cron_sync()
        self.env.invalidate_all()
        self.assertFalse(self.interface.sync_requested)
        self.assertEqual(self.interface.run_ids[:1].trigger, "manual")
        self.interface.api_key = "sandbox-key"  # saved credentials
        self.env["ems.interface"]._cron_sync()
        self.env.invalidate_all()
        self.assertEqual(self.interface.run_ids[:1].trigger, "save")

    @mute_logger(*MAILJET_LOGGERS)
    def test_R1_test_connection_answers_and_writes_nothing(self):
        self.env.flush_all()
        before = self.interface.read(["state", "last_error", "write_date"])[0]
        result = self.interface.action_test_connection()
        self.assertEqual(result["params"]["type"], "success")
        self.interface.api_secret = "wrong-secret"
        self.env.flush_all()
        before = self.interface.read(["state", "last_error", "write_date"])[0]
        result = self.interface.action_test_connection()
        self.assertEqual(result["params"]["type"], "danger")
        self.assertIn("rejected the API key or the API password", result["params"]["message"])
        self.assertNotIn("wrong-secret", result["params"]["message"])
        self.env.flush_all()
        self.interface.invalidate_recordset()
        self.assertEqual(self.interface.read(["state", "last_error", "write_date"])[0], before)


@tagged("post_install", "-at_install")
class TestConnectionTimeout(EmsMailjetCase):
    @classmethod
    def _request_handler(cls, s, r, /, **kw):
        """Keep the connection test's own timeout (Odoo's test framework would raise it)."""
        if r.url.startswith("http://127.0.0.1:"):
            return odoo_test_common._super_send(s, r, **kw)
        return super()._request_handler(s, r, **kw)

    def _silent_server(self):
        """A server that accepts the connection but never answers."""
        silent = socket.socket()
        self.addCleanup(silent.close)
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        with patch.object(type(self.interface), "_request_sync"):
            self.interface.api_url = f"http://127.0.0.1:{silent.getsockname()[1]}/"
        self.env.flush_all()

    @mute_logger(*MAILJET_LOGGERS)
    def test_R1_test_connection_gives_up_within_ten_seconds_on_a_silent_server(self):
        """One attempt only, and the answer is a message."""
        self._silent_server()
        before = self.interface.read(["state", "last_error", "write_date"])[0]
        with patch.object(type(self.interface), "_request_sync"):
            started = time.monotonic()
            result = self.interface.action_test_connection()
            elapsed = time.monotonic() - started
        self.assertLess(elapsed, 10.0)
        self.assertGreaterEqual(elapsed, TEST_CONNECTION_TIMEOUT[1] - 0.5, "waited for the answer")
        self.assertEqual(result["params"]["type"], "danger")
        self.assertIn("did not answer within", result["params"]["message"])
        self.env.flush_all()
        self.interface.invalidate_recordset()
        self.assertEqual(self.interface.read(["state", "last_error", "write_date"])[0], before)

    @mute_logger(*MAILJET_LOGGERS)
    def test_D5_resubscribe_gives_up_within_ten_seconds_on_a_silent_server(self):
        self._silent_server()
        self.campaign.write({"mailjet_interface_id": self.interface.id, "mailjet_list_id": "7"})
        person = self.participant(email="back@example.com", state="declined")
        wizard = self.env["ems.consent.resubscribe"].create(
            {"participant_id": person.id, "consent_note": "phone call"}
        )
        started = time.monotonic()
        with self.assertRaises(UserError) as caught:
            wizard.action_confirm()
        self.assertLess(time.monotonic() - started, 10.0)
        self.assertIn("did not answer within", str(caught.exception))
        self.assertEqual(person.state, "declined", "nothing changes in the ERP either")
