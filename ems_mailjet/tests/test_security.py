from odoo import Command
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import EmsMailjetCase


@tagged("post_install", "-at_install", "ems_mailjet")
class TestSecurity(EmsMailjetCase):
    @mute_logger("odoo.addons.base.models.ir_model", "odoo.models")
    def test_D8_campaign_user_cannot_read_the_secret(self):
        interface = self.interface.with_user(self.campaign_user)
        with self.assertRaises(AccessError):
            interface.read(["api_secret"])
        with self.assertRaises(AccessError):
            interface.search_read([], ["api_secret"])
        with self.assertRaises(AccessError):
            interface.export_data(["api_secret"])

    @mute_logger("odoo.addons.base.models.ir_model", "odoo.models")
    def test_R1_non_admin_cannot_open_interfaces(self):
        for user in (self.campaign_user, self.campaign_manager):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self.env["ems.interface"].with_user(user).search([])
            with self.assertRaises(AccessError):
                self.interface.with_user(user).read(["name"])

    def test_D8_secret_is_never_shown_back_in_the_form(self):
        values = self.interface.read(["api_secret_input", "has_api_secret"])[0]
        self.assertFalse(values["api_secret_input"])
        self.assertTrue(values["has_api_secret"])

    def test_R1_new_secret_replaces_the_stored_one(self):
        self.interface.api_secret_input = "  new-secret  "
        self.assertEqual(self.interface.api_secret, "new-secret")
        self.interface.api_secret_input = False
        self.assertEqual(self.interface.api_secret, "new-secret", "an empty input keeps it")

    def test_D8_admin_export_never_contains_the_secret(self):
        with self.assertRaises(AccessError):
            self.interface.export_data(["name", "api_secret"])
        rows = self.interface.export_data(["name", "api_key"])["datas"]
        self.assertNotIn(self.SECRET, str(rows))
        exportable = self.env["ems.interface"].fields_get(["api_secret"], ["exportable"])
        self.assertFalse(exportable["api_secret"]["exportable"])

    def test_D8_secret_not_in_chatter(self):
        self.interface.with_context(tracking_disable=False).write(
            {"api_secret": "changed-secret", "name": "Mailjet live"}
        )
        bodies = " ".join(self.interface.message_ids.mapped("body"))
        tracked = " ".join(
            str(v)
            for v in self.interface.message_ids.tracking_value_ids.mapped("old_value_char")
            + self.interface.message_ids.tracking_value_ids.mapped("new_value_char")
        )
        self.assertNotIn("changed-secret", bodies + tracked)
        self.assertNotIn(self.SECRET, bodies + tracked)

    def test_api_url_must_be_mailjet_or_loopback(self):
        for url in (
            "https://api.mailjet.com/",
            "https://api.us.mailjet.com/",
            "http://127.0.0.1:8899/",
            "http://localhost:8899/",
        ):
            self.interface.api_url = url
        for url in (
            "http://api.mailjet.com/",
            "https://example.com/",
            "ftp://127.0.0.1/",
            "https://mailjet.com.evil.example/",
        ):
            with self.subTest(url=url), self.assertRaises(ValidationError):
                self.interface.api_url = url

    @mute_logger("odoo.sql_db")
    def test_R3_sync_window_must_be_a_valid_time(self):
        from psycopg2 import IntegrityError

        with self.assertRaises(IntegrityError), self.cr.savepoint():
            self.interface.sync_window_start = 24.5
            self.env.flush_all()
        with self.assertRaises(IntegrityError), self.cr.savepoint():
            self.interface.sync_window_minutes = 0
            self.env.flush_all()

    def test_R3_default_window_is_22_to_23(self):
        interface = self.env["ems.interface"].create({"name": "Defaults"})
        self.assertEqual(interface.sync_window_start, 22.0)
        self.assertEqual(interface.sync_window_minutes, 60)
        self.assertEqual(interface.state, "draft")
        self.assertEqual(interface.interface_type, "mailjet")

    def test_multi_company_interfaces_and_participants(self):
        company_b = self.env["res.company"].create({"name": "Company B"})
        admin_b = (
            self.env["res.users"]
            .with_context(no_reset_password=True)
            .create(
                {
                    "name": "Admin B",
                    "login": "ems_admin_b",
                    "company_id": company_b.id,
                    "company_ids": [Command.set([company_b.id])],
                    "groups_id": [
                        Command.set(
                            [
                                self.env.ref("base.group_system").id,
                                self.env.ref("ems_mailjet.group_campaign_manager").id,
                            ]
                        )
                    ],
                }
            )
        )
        person_a = self.participant(email="a-only@example.com")
        self.assertEqual(person_a.company_id, self.company)
        self.assertFalse(
            self.env["ems.interface"].with_user(admin_b).search([("id", "=", self.interface.id)])
        )
        self.assertFalse(
            self.env["ems.campaign.participant"]
            .with_user(admin_b)
            .search([("id", "=", person_a.id)])
        )
        self.assertFalse(
            self.env["utm.campaign"].with_user(admin_b).search([("id", "=", self.campaign.id)])
        )

    def test_campaign_user_maintains_participants(self):
        person = (
            self.env["ems.campaign.participant"]
            .with_user(self.campaign_user)
            .create({"campaign_id": self.campaign.id, "email": "by.user@example.com"})
        )
        person.state = "declined"
        self.assertTrue(person.declined_at)
