import json

from odoo.tests import tagged

from odoo.addons.ems_mailjet.services.webhook import parse_events

from .common_sandbox import MailjetSandboxCase

T0 = 1767225600  # 2026-01-01 00:00:00 UTC


@tagged("post_install", "-at_install")
class TestBounceAndSpamProtection(MailjetSandboxCase):
    def webhook(self, *events):
        body = json.dumps([{"time": T0, "MessageID": 1000 + i, **e} for i, e in enumerate(events)])
        result = self.env["ems.mailjet.events"]._mailjet_webhook_process(
            self.interface, parse_events(body)
        )
        self.env.invalidate_all()
        return result

    def last_run_codes(self):
        run = self.env["ems.mailjet.sync.run"].search(
            [("interface_id", "=", self.interface.id)], limit=1
        )
        return run.line_ids.mapped("code")

    def blacklisted(self, email):
        return bool(self.env["mail.blacklist"].search_count([("email", "=", email)]))

    def test_spam_complaint_declines_with_the_reason_and_blacklists(self):
        erika = self.participant(partner_id=self.partner.id)
        self.sync()
        declined, _ignored = self.webhook({"event": "spam", "email": "erika@example.com"})
        self.assertEqual(declined, 1)
        self.assertEqual(erika.state, "declined")
        self.assertTrue(erika.mailjet_spam)
        self.assertIn("spam", erika.message_ids[0].body)
        self.assertTrue(self.blacklisted("erika@example.com"))
        codes = self.last_run_codes()
        self.assertIn("webhook_spam", codes)
        self.assertIn("webhook_blacklisted_spam", codes)
        # a replay changes nothing
        self.assertEqual(self.webhook({"event": "spam", "email": "erika@example.com"})[0], 0)

    def test_spam_complaint_without_the_blacklist_option(self):
        self.interface.blacklist_spam = False
        erika = self.participant(partner_id=self.partner.id)
        self.sync()
        self.webhook({"event": "spam", "email": "erika@example.com"})
        self.assertEqual((erika.state, erika.mailjet_spam), ("declined", True))
        self.assertFalse(self.blacklisted("erika@example.com"))

    def test_hard_bounce_stops_pushes_of_the_address_until_it_changes(self):
        first = self.participant(email="bouncer@example.com")
        self.sync()
        _declined, ignored = self.webhook(
            {
                "event": "bounce",
                "email": "bouncer@example.com",
                "hard_bounce": True,
                "error": "user unknown",
            },
            {"event": "bounce", "email": "bouncer@example.com", "hard_bounce": False},
        )
        self.assertEqual(ignored, 1, "a soft bounce changes nothing")
        self.assertTrue(first.mailjet_hard_bounce)
        self.assertEqual(first.state, "accepted")
        self.assertIn("webhook_hard_bounce", self.last_run_codes())
        self.assertFalse(self.blacklisted("bouncer@example.com"), "option off by default")

        # The same address in another newsletter campaign is not pushed as subscribed.
        self.other_campaign.write(
            {"mailjet_newsletter": True, "mailjet_interface_id": self.interface.id}
        )
        second = self.participant(campaign=self.other_campaign, email="bouncer@example.com")
        run = self.sync()
        self.assertNotIn("bouncer@example.com", self.mailjet_list(self.other_campaign) or {})
        self.assertIn("push_held_back_bounce", run.line_ids.mapped("code"))
        preview = self.interface._sync_preview(self.other_campaign)[self.other_campaign.id]
        self.assertEqual(preview["to_push"], [])

        # A new address is pushed again.
        second.email = "new.address@example.com"
        self.assertFalse(second.mailjet_hard_bounce)
        self.sync()
        self.assertIn("new.address@example.com", self.mailjet_list(self.other_campaign))

    def test_hard_bounce_blacklisted_when_the_interface_asks_for_it(self):
        self.interface.blacklist_hard_bounce = True
        self.participant(email="bouncer@example.com")
        self.sync()
        self.webhook({"event": "bounce", "email": "bouncer@example.com", "hard_bounce": True})
        self.assertTrue(self.blacklisted("bouncer@example.com"))

    def test_blacklisted_address_is_never_pushed_as_subscribed(self):
        self.env["mail.blacklist"]._add("otto@example.com")
        self.participant(partner_id=self.partner_noref.id)
        self.participant(partner_id=self.partner.id)
        run = self.sync()
        members = self.mailjet_list()
        self.assertIn("erika@example.com", members)
        self.assertNotIn("otto@example.com", members)
        self.assertIn("push_held_back_blacklist", run.line_ids.mapped("code"))
        self.assertIn("otto@example.com", run.log)

    def test_blocked_message_is_logged_and_changes_nothing(self):
        person = self.participant(email="blocked@example.com")
        self.sync()
        self.webhook({"event": "blocked", "email": "blocked@example.com", "error": "preblocked"})
        self.assertEqual(person.state, "accepted")
        self.assertFalse(person.mailjet_hard_bounce)
        self.assertIn("webhook_blocked", self.last_run_codes())
