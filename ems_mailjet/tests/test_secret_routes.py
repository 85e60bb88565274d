"""No credential of an interface reaches a browser, not even an administrator's: not as a
group header, a filter that tests guesses, a sort order, an aggregate, the search panel,
an export, a pivot or the field lists the web client builds its menus from."""

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import EmsMailjetCase

SECRETS = ("api_secret", "api_secret_input", "webhook_password", "webhook_token", "webhook_user")


@tagged("post_install", "-at_install")
class TestSecretRoutes(EmsMailjetCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.admin = cls.env.ref("base.user_admin")
        cls.interfaces = cls.env["ems.interface"].with_user(cls.admin)

    def assert_refused(self, call):
        with self.assertRaises(AccessError) as caught, mute_logger("odoo.models"):
            call()
        self.assertNotIn(self.SECRET, str(caught.exception))
        self.assertIn("cannot be", str(caught.exception))

    def test_D8_admin_cannot_group_by_a_secret(self):
        self.assertFalse(self.interfaces.env.su, "an administrator, not the superuser")
        for field in SECRETS[:1] + SECRETS[2:]:
            with self.subTest(field=field):
                self.assert_refused(lambda f=field: self.interfaces.read_group([], [f], [f]))
                self.assert_refused(lambda f=field: self.interfaces._read_group([], [f]))
                self.assert_refused(
                    lambda f=field: self.interfaces.web_read_group([], ["name"], [f])
                )

    def test_D8_admin_cannot_aggregate_a_secret(self):
        self.assert_refused(
            lambda: self.interfaces._read_group([], ["name"], ["api_secret:array_agg"])
        )
        self.assert_refused(
            lambda: self.interfaces.read_group([], ["api_secret:array_agg"], ["name"])
        )

    def test_D8_admin_cannot_filter_or_sort_by_a_secret(self):
        for field in ("api_secret", "webhook_password", "webhook_token", "webhook_user"):
            with self.subTest(field=field):
                self.assert_refused(
                    lambda f=field: self.interfaces.search([(f, "=like", "s3cr3t%")])
                )
                self.assert_refused(
                    lambda f=field: self.interfaces.search_read([(f, "!=", False)], ["name"])
                )
                self.assert_refused(lambda f=field: self.interfaces.search([], order=f))
        # the same through the campaign's link to its interface
        campaigns = self.env["utm.campaign"].with_user(self.admin)
        self.assert_refused(
            lambda: campaigns.search([("mailjet_interface_id.api_secret", "=", self.SECRET)])
        )

    def test_D8_admin_cannot_export_a_secret(self):
        for field in SECRETS + ("webhook_url",):
            with self.subTest(field=field):
                self.assert_refused(
                    lambda f=field: self.interfaces.browse(self.interface.ids).export_data(
                        ["name", f]
                    )
                )

    def test_D8_search_panel_offers_no_secret(self):
        with self.assertRaises(UserError), mute_logger("odoo.models"):
            self.interfaces.search_panel_select_range("api_secret")

    def test_D8_field_lists_mark_secrets_unusable_for_menus(self):
        fields = self.interfaces.fields_get()
        for field in SECRETS:
            with self.subTest(field=field):
                description = fields[field]
                for flag in ("searchable", "sortable", "groupable", "exportable"):
                    self.assertFalse(description[flag], f"{field} {flag}")
                self.assertNotIn("aggregator", description)
        self.assertTrue(fields["name"]["searchable"], "other fields are unchanged")
        self.assertTrue(fields["name"]["groupable"])
        only = self.interfaces.fields_get(["api_secret"], ["groupable", "string"])
        self.assertEqual(only["api_secret"]["groupable"], False)

    def test_D8_custom_group_by_menu_of_the_interfaces_has_no_secret(self):
        """The web client's "Add custom group" offers the fields marked groupable."""
        views = self.interfaces.get_views([(False, "list"), (False, "search")])
        fields = views["models"]["ems.interface"]["fields"]
        for field in SECRETS:
            if field in fields:
                self.assertFalse(fields[field].get("groupable"), field)
        offered = [
            name
            for name, description in self.interfaces.fields_get(
                attributes=["groupable", "type"]
            ).items()
            if description.get("groupable")
        ]
        self.assertFalse(set(SECRETS) & set(offered))

    def test_webhook_still_finds_its_interface_by_token(self):
        token = self.interface.webhook_token
        found = self.env["ems.interface"].sudo().search([("webhook_token", "=", token)])
        self.assertEqual(found, self.interface)
