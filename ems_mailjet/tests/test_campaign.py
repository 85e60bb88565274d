from odoo.exceptions import UserError
from odoo.tests import Form, tagged

from .common import EmsMailjetCase


@tagged("post_install", "-at_install")
class TestCampaign(EmsMailjetCase):
    def test_counters_of_accepted_and_declined(self):
        self.participant(email="a@example.com")
        self.participant(email="b@example.com")
        self.participant(email="c@example.com", state="declined")
        self.assertEqual(self.campaign.participant_accepted_count, 2)
        self.assertEqual(self.campaign.participant_declined_count, 1)
        self.assertEqual(self.campaign.participant_count, 3)

    def test_R4_newsletter_campaign_uses_the_company_interface(self):
        campaign = self.env["utm.campaign"].create({"title": "Autumn"})
        self.assertFalse(campaign.mailjet_interface_id)
        campaign.mailjet_newsletter = True
        self.assertEqual(campaign.mailjet_interface_id, self.interface)

    def test_campaign_with_declined_participants_cannot_be_deleted(self):
        self.participant(email="gone@example.com", state="declined")
        with self.assertRaises(UserError):
            self.campaign.unlink()
        self.assertTrue(self.campaign.exists())

    def test_campaign_without_declined_participants_can_be_deleted(self):
        person = self.participant(campaign=self.other_campaign, email="a@example.com")
        self.other_campaign.unlink()
        self.assertFalse(person.exists())

    def test_participants_tab_adds_a_bare_address(self):
        with Form(self.campaign.with_user(self.campaign_user)) as form:
            with form.participant_ids.new() as line:
                line.email = "new.reader@example.com"
        person = self.campaign.participant_ids.filtered(
            lambda p: p.email_normalized == "new.reader@example.com"
        )
        self.assertEqual(person.state, "accepted")

    def test_partner_and_employee_smart_buttons_count_participations(self):
        self.participant(partner_id=self.partner.id)
        self.participant(campaign=self.other_campaign, partner_id=self.partner.id)
        self.participant(employee_id=self.employee.id)
        self.assertEqual(self.partner.ems_participation_count, 2)
        self.assertEqual(self.employee.ems_participation_count, 1)
        action = self.partner.action_open_ems_participations()
        found = self.env["ems.campaign.participant"].search(action["domain"])
        self.assertEqual(len(found), 2)

    def test_R4_list_name_is_the_title_in_the_interface_language(self):
        self.env["res.lang"]._activate_lang("de_DE")
        self.campaign.mailjet_interface_id = self.interface
        self.campaign.with_context(lang="en_US").title = "Staff news"
        self.campaign.with_context(lang="de_DE").title = "Mitarbeiter-News intern"
        self.interface.lang = "en_US"
        for user_lang in ("en_US", "de_DE"):
            campaign = self.campaign.with_context(lang=user_lang)
            self.assertEqual(campaign._mailjet_list_name(), "Staff news")
        self.interface.lang = "de_DE"
        for user_lang in ("en_US", "de_DE"):
            campaign = self.campaign.with_user(self.campaign_user).with_context(lang=user_lang)
            self.assertEqual(campaign._mailjet_list_name(), "Mitarbeiter-News intern")
