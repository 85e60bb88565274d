from odoo.tests import tagged

from .common_sandbox import MailjetSandboxCase

WRITES = {"POST", "PUT", "DELETE"}


@tagged("post_install", "-at_install")
class TestSyncPreview(MailjetSandboxCase):
    def _calls_since(self, start):
        return self.sandbox.calls()["calls"][start:]

    def _pending_changes(self):
        """A synced campaign, then a change of each kind on either side."""
        erika = self.participant(partner_id=self.partner.id)
        leaving = self.participant(email="leaving@example.com")
        self.participant(email="steady@example.com")
        self.sync()
        list_id = int(self.campaign.mailjet_list_id)
        self.participant(email="newcomer@example.com")
        leaving.action_decline()
        self.sandbox.unsubscribe(list_id, "erika@example.com")
        self.sandbox.signup(list_id, "max.muster@example.com", "Max")
        self.campaign.title = "Summer newsletter"
        return erika, leaving

    def test_preview_lists_pending_changes_and_writes_nothing(self):
        erika, leaving = self._pending_changes()
        start = len(self.sandbox.calls()["calls"])
        states = [(p.email, p.state, p.mailjet_synced_state) for p in self.campaign.participant_ids]
        checkpoint = self.campaign.mailjet_checkpoint
        runs = self.env["ems.mailjet.sync.run"].search_count([])

        preview = self.interface._sync_preview()[self.campaign.id]

        self.assertEqual(preview["to_push"], ["newcomer@example.com"])
        self.assertEqual(preview["to_unsubscribe"], ["leaving@example.com"])
        self.assertEqual(preview["to_decline"], ["erika@example.com"])
        self.assertEqual(preview["new_signups"], ["max.muster@example.com"])
        self.assertEqual(
            preview["signup_matches"]["max.muster@example.com"][:2], ("employee", self.employee.id)
        )
        self.assertEqual(
            (preview["rename_from"], preview["list_name"]),
            ("Spring newsletter", "Summer newsletter"),
        )
        self.assertFalse(preview["create_list"])
        calls = self._calls_since(start)
        self.assertTrue(calls, "the preview reads Mailjet")
        self.assertFalse([c for c in calls if c["method"] in WRITES], "the preview writes nothing")
        self.env.invalidate_all()
        self.assertEqual(
            [(p.email, p.state, p.mailjet_synced_state) for p in self.campaign.participant_ids],
            states,
        )
        self.assertEqual(self.campaign.mailjet_checkpoint, checkpoint)
        self.assertEqual(self.env["ems.mailjet.sync.run"].search_count([]), runs)
        self.assertEqual(erika.state, "accepted")
        self.assertIn("Spring newsletter", self.list_names())

        # The synchronisation then does exactly what the preview announced.
        run = self.sync()
        self.assertEqual(run.pushed, len(preview["to_push"]))
        self.assertEqual(run.unsubscribed_in_mailjet, len(preview["to_unsubscribe"]))
        self.assertEqual(run.declined_from_mailjet, len(preview["to_decline"]))
        self.assertEqual(run.new_signups, len(preview["new_signups"]))
        self.assertEqual(erika.state, "declined")
        self.assertIn("Summer newsletter", self.list_names())
        # The signup's contact properties (from the employee it matched) go out once.
        again = self.interface._sync_preview()[self.campaign.id]
        self.assertEqual(again["to_push"], ["max.muster@example.com"])
        self.assertEqual(again["property_updates"], ["max.muster@example.com"])
        wizard = self.env["ems.mailjet.sync.preview"]._from_result(
            self.interface, {self.campaign.id: again}
        )
        self.assertEqual(wizard.line_ids.detail, "Contact properties changed")
        self.sync()
        again = self.interface._sync_preview()[self.campaign.id]
        self.assertFalse(
            any(again[k] for k in ("to_push", "to_unsubscribe", "to_decline", "new_signups"))
        )

    def test_preview_of_a_new_campaign_announces_its_list_without_creating_it(self):
        self.participant(partner_id=self.partner.id)
        self.participant(email="gone@example.com", state="declined")
        preview = self.interface._sync_preview()[self.campaign.id]
        self.assertTrue(preview["create_list"])
        self.assertEqual(preview["to_push"], ["erika@example.com"])
        self.assertEqual(preview["to_unsubscribe"], ["gone@example.com"])
        self.assertEqual(self.list_names(), set())
        by = self.sandbox.calls()["by"]
        self.assertEqual({name.split()[0] for name in by}, {"GET"}, by)

    def test_preview_dialog_from_the_campaign_shows_counts_and_rows(self):
        self._pending_changes()
        campaign = self.campaign.with_user(self.campaign_manager)
        action = campaign.action_mailjet_sync_preview()
        self.assertEqual(action["res_model"], "ems.mailjet.sync.preview")
        self.assertEqual(action["target"], "new")
        wizard = self.env["ems.mailjet.sync.preview"].with_user(self.campaign_manager)
        wizard = wizard.browse(action["res_id"])
        self.assertEqual(
            (
                wizard.push_count,
                wizard.unsubscribe_count,
                wizard.decline_count,
                wizard.signup_count,
                wizard.list_rename_count,
            ),
            (1, 1, 1, 1, 1),
        )
        rows = {(line.kind, line.email) for line in wizard.line_ids}
        self.assertIn(("push", "newcomer@example.com"), rows)
        self.assertIn(("decline", "erika@example.com"), rows)
        signup = wizard.line_ids.filtered(lambda line: line.kind == "signup")
        self.assertIn("Max Muster", signup.detail)
        self.assertFalse(wizard.nothing_to_do)

    def test_preview_from_the_interface_when_nothing_changed(self):
        self.participant(partner_id=self.partner.id)
        self.sync()
        start = len(self.sandbox.calls()["calls"])
        action = self.interface.action_sync_preview()
        wizard = self.env["ems.mailjet.sync.preview"].browse(action["res_id"])
        self.assertTrue(wizard.nothing_to_do)
        self.assertFalse(wizard.line_ids)
        # one read of the lists plus the four reads of a sync that finds nothing to do
        self.assertEqual(len(self._calls_since(start)), 5)
        self.assertEqual(wizard.api_calls, 5)
