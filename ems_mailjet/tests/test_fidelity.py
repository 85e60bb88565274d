"""Right against the real Mailjet: scenarios × the sandbox's readings of what Mailjet's
documentation leaves open (see mailjet_sandbox/README.md, "Readings").

Each scenario runs once per reading it depends on and checks the same four things:
nobody is lost, nothing is pushed twice without need, every unsubscribe survives, and
the user is told (run log, campaign, participant or interface).
"""

import mailjet_rest

from odoo.tests import tagged
from odoo.tools import mute_logger

from .common_sandbox import KEY, MailjetSandboxCase

MMC = "managemanycontacts"
QUIET = (
    "odoo.addons.ems_mailjet.services.gateway",
    "odoo.addons.ems_mailjet.models.ems_mailjet_sync_run",
)


@tagged("post_install", "-at_install")
class TestFidelity(MailjetSandboxCase):
    # ------------------------------------------------------------------ helpers
    def fresh(self, readings):
        """An empty sandbox playing ``readings`` and a campaign of its own."""
        self.sandbox.reset()
        self.sandbox.config(**readings)
        self.env["utm.campaign"].search([("mailjet_newsletter", "=", True)]).write(
            {"mailjet_newsletter": False}
        )
        self.campaign = self.env["utm.campaign"].create(
            {
                "title": f"Fidelity {readings}",
                "mailjet_newsletter": True,
                "mailjet_interface_id": self.interface.id,
            }
        )
        for i in range(6):
            self.participant(email=f"reader{i}@example.com")
        self.participant(email="gone@example.com", state="declined")

    def run_sync(self):
        with mute_logger(*QUIET):
            return self.sync()

    def pushes(self):
        return sum(
            1
            for c in self.sandbox.calls()["calls"]
            if c["method"] == "POST" and c["path"].endswith(MMC)
        )

    def people(self):
        return {p.email_normalized: p for p in self.campaign.participant_ids}

    def assert_nobody_lost_and_unsubscribes_kept(self, unsubscribed=("gone@example.com",)):
        people = self.people()
        self.assertLessEqual({f"reader{i}@example.com" for i in range(6)}, set(people))
        members = self.mailjet_list() or {}
        for email in unsubscribed:
            self.assertEqual(people[email].state, "declined", email)
            if email in members:
                self.assertTrue(members[email]["IsUnsubscribed"], email)

    def assert_nothing_pushed_again(self):
        before = self.pushes()
        run = self.run_sync()
        self.assertEqual(self.pushes(), before, run.log)
        return run

    # ------------------------------------------------------------------ scenarios
    def test_partial_failure_one_refused_address_holds_back_nobody(self):
        for readings in (
            {"partial_error_status": "Error", "error_file_shape": "list"},
            {"partial_error_status": "Completed", "error_file_shape": "data"},
            {"partial_error_status": "Error", "error_file_shape": "csv"},
        ):
            with self.subTest(**readings):
                self.fresh(readings)
                self.sandbox.fault(
                    kind="contact_errors", path=MMC, emails=["reader2@example.com"], count=9
                )
                run = self.run_sync()
                people = self.people()
                refused = people["reader2@example.com"]
                self.assertIn("reader2@example.com", run.log)  # told in the run log
                self.assertTrue(refused.mailjet_error)  # and on the participant
                self.assertFalse(refused.mailjet_synced_state)
                for email, person in people.items():
                    if email != "reader2@example.com":
                        self.assertEqual(person.mailjet_synced_state, person.state, email)
                        self.assertFalse(person.mailjet_error, email)
                self.assert_nobody_lost_and_unsubscribes_kept()
                self.assert_nothing_pushed_again()
                # "Try again" sends it once more (and Mailjet now takes it).
                self.sandbox.control("DELETE", "faults")
                refused.action_mailjet_try_again()
                again = self.run_sync()
                self.assertEqual((again.state, again.pushed), ("done", 1), again.log)
                self.assertEqual(refused.mailjet_synced_state, "accepted")

    def test_a_changed_address_is_sent_again_by_itself(self):
        self.fresh({})
        self.sandbox.fault(kind="contact_errors", path=MMC, emails=["reader2@example.com"], count=9)
        self.run_sync()
        self.sandbox.control("DELETE", "faults")
        refused = self.people()["reader2@example.com"]
        refused.email = "reader2.new@example.com"
        self.assertFalse(refused.mailjet_error)
        run = self.run_sync()
        self.assertEqual((run.state, run.pushed), ("done", 1), run.log)
        self.assertIn("reader2.new@example.com", self.mailjet_list())

    def test_unreadable_error_file_is_settled_from_the_list(self):
        for readings in ({"contact_list_filter": "subscribed"}, {"contact_list_filter": "all"}):
            with self.subTest(**readings):
                self.fresh(readings)
                self.sandbox.fault(
                    kind="contact_errors", path=MMC, emails=["reader4@example.com"], count=9
                )
                self.sandbox.fault(kind="body", path="JSONError", body="<html>Oops</html>", count=9)
                run = self.run_sync()
                people = self.people()
                self.assertTrue(people["reader4@example.com"].mailjet_error)
                confirmed = {e for e, p in people.items() if p.mailjet_synced_state == p.state}
                self.assertEqual(len(confirmed), 6, run.log)  # never "all failed"
                self.assert_nobody_lost_and_unsubscribes_kept()
                self.assert_nothing_pushed_again()

    def test_unsubscribes_survive_whatever_the_contact_filter_returns(self):
        for readings in ({"contact_list_filter": "subscribed"}, {"contact_list_filter": "all"}):
            with self.subTest(**readings):
                self.fresh(readings)
                self.run_sync()
                list_id = int(self.campaign.mailjet_list_id)
                # Two changes in Mailjet at once: a signup (the count differs, so the
                # whole list is read) and an unsubscribe.
                self.sandbox.unsubscribe(list_id, "reader1@example.com")
                self.sandbox.signup(list_id, "widget@example.net")
                run = self.run_sync()
                self.assertEqual(run.state, "done", run.log)
                self.assertEqual(run.declined_from_mailjet, 1)  # told, in the run's counts
                self.assert_nobody_lost_and_unsubscribes_kept(
                    ("gone@example.com", "reader1@example.com")
                )
                self.assertIn("widget@example.net", self.people())
                self.assert_nothing_pushed_again()

    def test_list_deleted_in_mailjet_soft_or_hard(self):
        for how in ("soft", "hard"):
            with self.subTest(list_delete=how):
                self.fresh({"list_delete": how})
                self.run_sync()
                old = int(self.campaign.mailjet_list_id)
                self.sandbox.unsubscribe(old, "reader3@example.com")
                self.run_sync()  # the ERP learns the unsubscribe
                client = mailjet_rest.Client(
                    auth=(KEY, self.SECRET), api_url=self.sandbox.url, timeout=5
                )
                self.assertEqual(client.contactslist.delete(id=old).status_code, 204)
                lists = len(self.sandbox.state()["lists"])
                run = self.run_sync()
                self.assertIn("was deleted in Mailjet", run.log)  # told
                self.assertTrue(self.campaign.mailjet_list_deleted)
                self.assertEqual(len(self.sandbox.state()["lists"]), lists, "nothing created")
                before = self.pushes()
                self.run_sync()
                self.assertEqual(self.pushes(), before, "nothing sent to a deleted list")
                self.campaign.action_mailjet_new_list()
                run = self.run_sync()
                self.assertEqual(run.state, "done", run.log)
                self.assertNotEqual(int(self.campaign.mailjet_list_id), old)
                members = self.mailjet_list()
                self.assertEqual(len(members), 7, "everybody on the new list")
                self.assert_nobody_lost_and_unsubscribes_kept(
                    ("gone@example.com", "reader3@example.com")
                )
                self.assert_nothing_pushed_again()

    def test_dead_webhook_is_shown_and_registering_again_gives_a_new_address(self):
        self.env["ir.config_parameter"].set_param("web.base.url", "https://erp.example.com")
        self.fresh({})
        self.interface.action_register_webhook()
        self.assertEqual(self.interface.webhook_status, "alive")
        old_token, old_url = self.interface.webhook_token, self.interface.webhook_url
        self.sandbox.webhook_status("unsub", "dead")
        run = self.run_sync()
        self.assertEqual(self.interface.webhook_status, "dead")
        self.assertIn("suspended this database's webhook", run.log)  # told
        # A PUT of the same address would leave it dead: registering rotates the token.
        self.interface.action_register_webhook()
        self.assertEqual(self.interface.webhook_status, "alive")
        self.assertNotEqual(self.interface.webhook_url, old_url)
        client = mailjet_rest.Client(auth=(KEY, self.SECRET), api_url=self.sandbox.url, timeout=5)
        callbacks = client.eventcallbackurl.get().json()["Data"]
        self.assertTrue(callbacks)
        for callback in callbacks:
            self.assertEqual(
                (callback["Url"], callback["Status"]), (self.interface.webhook_url, "alive")
            )
        # The controller answers 404 for a token no interface has.
        self.assertFalse(self.env["ems.interface"].search([("webhook_token", "=", old_token)]))
        self.interface.action_check_webhook()
        self.assertEqual(self.interface.webhook_status, "alive")
