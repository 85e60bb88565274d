"""The screens in a real browser: Odoo tours in headless Chromium, in English and German.

The tours are in ``static/tests/tours/ems_mailjet_tours.js``; each flow runs once with the
user's language English and once German, and checks the labels the user reads. A browser
console error fails the tour. Mailjet is the project's sandbox on 127.0.0.1 (the
connection test, the re-subscription). Without Chromium or the ``websocket-client`` package, Odoo
skips these tests (``make test`` says so in its summary).
"""

from unittest.mock import patch

from odoo import Command
from odoo.tests import HttpCase, tagged

from .common import german
from .common_sandbox import FAST, SandboxProcess

TOUR_KEY = "tour-key"
TOUR_SECRET = "tour-secret"


@tagged("post_install", "-at_install", "ems_mailjet", "ems_mailjet_slow", "ems_tours")
class TestTours(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        german(cls.env)
        users = cls.env["res.users"].with_context(no_reset_password=True)

        def user(login, *groups):
            return users.create(
                {
                    "name": login.replace("_", " ").title(),
                    "login": login,
                    "password": login,  # HttpCase logs in with the login as password
                    "email": f"{login}@example.com",
                    "tz": "Europe/Berlin",
                    "groups_id": [Command.set([cls.env.ref(g).id for g in groups])],
                }
            )

        cls.admin = user("ems_tour_admin", "base.group_system", "ems_mailjet.group_campaign_user")
        cls.campaign_user = user("ems_tour_user", "ems_mailjet.group_campaign_user")
        cls.manager = user("ems_tour_manager", "ems_mailjet.group_campaign_manager")
        cls.partner = cls.env["res.partner"].create(
            {"name": "Erika Mustermann", "email": "erika@example.com", "ref": "K-1001"}
        )
        cls.employee = cls.env["hr.employee"].create(
            {"name": "Max Muster", "work_email": "max.muster@example.com", "barcode": "EMP042"}
        )

    def start_sandbox(self):
        """The project's Mailjet sandbox on 127.0.0.1, with fast retries for the gateway."""
        sandbox = SandboxProcess(api_key=TOUR_KEY, api_secret=TOUR_SECRET).start()
        self.addCleanup(sandbox.stop)
        interface_class = type(self.env["ems.interface"])
        self.startPatcher(patch.object(interface_class, "_gateway_options", lambda self: FAST))
        return sandbox

    def run_tour(self, user, lang, url, flow):
        user.lang = lang
        self.start_tour(url, f"ems_mailjet_{flow}_{lang[:2]}", login=user.login, timeout=120)

    # -- an admin connects Mailjet --------------------------------------------------------
    def interface_tour(self, lang):
        sandbox = self.start_sandbox()
        # the admin types key and password; the address is the sandbox's, not Mailjet's
        self.env["ir.default"].set("ems.interface", "api_url", sandbox.url)

        self.run_tour(self.admin, lang, "/odoo", "interface")

        # the tour saw Mailjet's "accepted" notification; the test itself writes nothing
        interface = self.env["ems.interface"].search([("name", "=", "Mailjet newsletter account")])
        self.assertEqual(len(interface), 1)
        self.assertEqual(interface.sudo().api_key, TOUR_KEY, "the key was stored")
        self.assertEqual(interface.sudo().api_secret, TOUR_SECRET, "the password was stored")
        self.assertTrue(interface.sync_requested, "saving the credentials queued a sync")

    def test_admin_connects_mailjet_in_english(self):
        self.interface_tour("en_US")

    def test_admin_connects_mailjet_in_german(self):
        self.interface_tour("de_DE")

    # -- a campaign user fills a newsletter campaign --------------------------------------
    def campaign_tour(self, lang):
        self.run_tour(self.campaign_user, lang, "/odoo", "campaign")

        campaign = self.env["utm.campaign"].search([("title", "=", "Summer newsletter")])
        self.assertTrue(campaign.mailjet_newsletter)
        participants = campaign.participant_ids
        self.assertEqual(participants.partner_id, self.partner)
        self.assertEqual(participants.employee_id, self.employee)
        self.assertEqual(
            sorted(participants.mapped("email_normalized")),
            ["anna.beispiel@example.org", "erika@example.com", "max.muster@example.com"],
        )
        self.assertEqual(set(participants.mapped("state")), {"accepted"})

    def test_campaign_user_adds_participants_in_english(self):
        self.campaign_tour("en_US")

    def test_campaign_user_adds_participants_in_german(self):
        self.campaign_tour("de_DE")

    # -- a manager re-subscribes a declined participant -----------------------------------
    def resubscribe_tour(self, lang):
        sandbox = self.start_sandbox()
        interface = self.env["ems.interface"].create(
            {
                "name": "Mailjet",
                "api_key": TOUR_KEY,
                "api_secret": TOUR_SECRET,
                "api_url": sandbox.url,
            }
        )
        campaign = self.env["utm.campaign"].create(
            {
                "title": "Autumn newsletter",
                "mailjet_newsletter": True,
                "mailjet_interface_id": interface.id,
            }
        )
        participant = self.env["ems.campaign.participant"].create(
            {"campaign_id": campaign.id, "partner_id": self.partner.id}
        )
        # subscribed in Mailjet, then unsubscribed there: declined in the ERP
        interface._sync_now()
        list_id = int(campaign.mailjet_list_id)
        sandbox.unsubscribe(list_id, "erika@example.com")
        interface._sync_now()
        self.env.invalidate_all()
        self.assertEqual(participant.state, "declined")
        # the manager clicks from the home menu to the campaign's participant
        self.run_tour(self.manager, lang, "/odoo", "resubscribe")

        self.assertEqual(participant.state, "accepted")
        self.assertEqual(participant.consent_user_id, self.manager)
        self.assertIn("3 May", participant.consent_note)
        members = next(lst["members"] for lst in sandbox.state()["lists"] if lst["ID"] == list_id)
        erika = next(m for m in members if m["Email"] == "erika@example.com")
        self.assertFalse(erika["IsUnsubscribed"], "re-subscribed in Mailjet too")

    def test_manager_resubscribes_with_consent_in_english(self):
        self.resubscribe_tour("en_US")

    def test_manager_resubscribes_with_consent_in_german(self):
        self.resubscribe_tour("de_DE")
