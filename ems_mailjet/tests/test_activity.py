from datetime import timedelta

from odoo import fields
from odoo.tests import HttpCase, tagged

from .common_sandbox import MailjetSandboxCase


@tagged("post_install", "-at_install")
class TestWhoOpenedWhoClicked(HttpCase, MailjetSandboxCase):
    """Opens and clicks reach the participant, the partner's activity and the campaign's
    filters: in real time through the webhook, and through the nightly read."""

    def setUp(self):
        super().setUp()
        self.erika = self.participant(partner_id=self.partner.id)
        self.otto = self.participant(partner_id=self.partner_noref.id)
        self.sync()
        self.list_id = int(self.campaign.mailjet_list_id)
        self.mailjet_campaign = self.sandbox.create_campaign(self.list_id, "Frühjahr", {})
        for email in ("erika@example.com", "otto@example.com"):
            self.sandbox.event(email, self.mailjet_campaign, "sent")

    def register_webhook(self):
        self.env["ir.config_parameter"].sudo().set_param("web.base.url", self.base_url())
        self.interface.invalidate_recordset(["webhook_url"])
        with self.interface._gateway() as gateway:
            gateway.register_event_callbacks(self.interface.webhook_url, ("open", "click"))

    def filtered(self, filter_name):
        """The campaign's participants through one of the search view's filters."""
        view = self.env.ref("ems_mailjet.ems_campaign_participant_view_search_marketing")
        arch = view.arch_db
        start = arch.index(f'name="{filter_name}"')
        domain_start = arch.index('domain="', start) + len('domain="')
        domain = eval(arch[domain_start : arch.index('"', domain_start)].replace("&gt;", ">"))  # noqa: S307  pylint: disable=eval-used
        return self.env["ems.campaign.participant"].search(
            [("campaign_id", "=", self.campaign.id)] + domain
        )

    def test_open_and_click_from_the_webhook_show_everywhere(self):
        self.register_webhook()
        answer = self.sandbox.event("erika@example.com", self.mailjet_campaign, "open")
        self.assertEqual(answer["delivered"][0]["Status"], 200)
        self.sandbox.event("erika@example.com", self.mailjet_campaign, "open")  # again
        self.sandbox.event(
            "erika@example.com", self.mailjet_campaign, "click", Url="https://example.com/a"
        )
        self.env.invalidate_all()
        self.assertEqual((self.erika.mailjet_open_count, self.erika.mailjet_click_count), (1, 1))
        self.assertTrue(self.erika.mailjet_last_open_at and self.erika.mailjet_last_click_at)
        self.assertEqual(self.erika.mailjet_activity_ids.url, "https://example.com/a")
        self.assertEqual(self.otto.mailjet_open_count, 0)
        # the partner's "Mailjet activity" smart button
        self.assertEqual(self.partner.mailjet_activity_count, 1)
        action = self.partner.action_open_mailjet_activity()
        rows = self.env["ems.mailjet.activity"].search(action["domain"])
        self.assertEqual(rows.participant_id, self.erika)
        self.assertTrue(rows.opened and rows.clicked)

    def test_nightly_read_fills_in_what_the_webhook_missed_within_its_budget(self):
        # no webhook registered: the events only reach Mailjet's statistics
        self.sandbox.event("erika@example.com", self.mailjet_campaign, "open")
        self.sandbox.event("erika@example.com", self.mailjet_campaign, "click")
        self.campaign.mailjet_stats_at = False  # the statistics are due
        start = self.calls()
        self.sync()
        self.assertEqual((self.erika.mailjet_sent_count, self.erika.mailjet_open_count), (1, 1))
        self.assertEqual(self.erika.mailjet_click_count, 1)
        self.assertEqual((self.otto.mailjet_sent_count, self.otto.mailjet_open_count), (1, 0))
        self.assertEqual(self.calls("GET message"), 1, "one page for two participants")
        self.assertLess(self.calls() - start, 12)
        mailing = self.campaign.mailjet_mailing_ids
        self.assertEqual(
            (mailing.subject, mailing.delivered, mailing.opened, mailing.clicked),
            ("Frühjahr", 2, 1, 1),
        )
        # the campaign's filters
        self.assertEqual(self.filtered("filter_opened"), self.erika)
        self.assertEqual(self.filtered("filter_clicked"), self.erika)
        self.assertEqual(self.filtered("filter_not_opened"), self.otto)
        # nothing new in Mailjet: the next due read costs nothing more than today
        self.campaign.mailjet_stats_at = False
        before = self.calls("GET message") + self.calls("GET campaign")
        self.sync()
        self.assertEqual(self.calls("GET message") + self.calls("GET campaign"), before)

    def test_hard_bounce_and_spam_found_by_the_nightly_read(self):
        self.sandbox.event("otto@example.com", self.mailjet_campaign, "bounce", HardBounce=True)
        self.sandbox.event("erika@example.com", self.mailjet_campaign, "spam")
        self.campaign.mailjet_stats_at = False
        self.sync()
        self.assertTrue(self.otto.mailjet_hard_bounce)
        self.assertTrue(self.erika.mailjet_spam)
        self.assertEqual(self.erika.state, "declined")
        self.assertEqual(self.otto.mailjet_sent_count, 0)
        self.sync()
        self.assertTrue(self.mailjet_list()["erika@example.com"]["IsUnsubscribed"])

    def test_mailings_are_read_with_the_statistics_at_most_every_six_hours(self):
        self.campaign.mailjet_stats_at = False
        self.sync()
        mailing = self.campaign.mailjet_mailing_ids
        self.assertEqual((mailing.delivered, mailing.processed, mailing.opened), (2, 2, 0))
        self.assertEqual(self.campaign.mailjet_stat_sent, 2)
        self.sandbox.event("erika@example.com", self.mailjet_campaign, "open")
        self.sandbox.event("otto@example.com", self.mailjet_campaign, "bounce", HardBounce=True)
        reads = self.calls("GET campaign")
        self.sync()  # statistics read less than 6 hours ago
        self.assertEqual((mailing.opened, self.calls("GET campaign")), (0, reads))
        self.campaign.mailjet_stats_at = fields.Datetime.now() - timedelta(hours=7)
        self.sync()
        self.assertEqual((mailing.opened, mailing.bounced), (1, 1))
        self.assertEqual(mailing.processed, 3, "Mailjet's Total: delivered plus bounced")
        self.assertEqual(self.campaign._fields["mailjet_stat_sent"].string, "Delivered")

    def test_activity_of_another_company_stays_hidden(self):
        self.sandbox.event("erika@example.com", self.mailjet_campaign, "open")
        self.campaign.mailjet_stats_at = False
        self.sync()
        self.assertTrue(self.erika.mailjet_activity_ids)
        other = self.env["res.company"].create({"name": "Other company"})
        outsider = (
            self.env["res.users"]
            .with_context(no_reset_password=True)
            .create(
                {
                    "name": "Other marketing",
                    "login": "ems_other_marketing",
                    "company_id": other.id,
                    "company_ids": [(6, 0, other.ids)],
                    "groups_id": [(6, 0, [self.env.ref("ems_mailjet.group_campaign_user").id])],
                }
            )
        )
        as_outsider = self.env["ems.mailjet.activity"].with_user(outsider)
        self.assertFalse(as_outsider.search([]))
        self.assertFalse(self.env["ems.mailjet.mailing"].with_user(outsider).search([]))
        mine = self.env["ems.mailjet.activity"].with_user(self.campaign_user).search([])
        self.assertEqual(mine.participant_id, self.erika | self.otto)
