from odoo.tests import tagged

from .common import EmsMailjetCase


@tagged("post_install", "-at_install")
class TestViews(EmsMailjetCase):
    def _our_actions(self):
        data = self.env["ir.model.data"].search(
            [("module", "=", "ems_mailjet"), ("model", "=", "ir.actions.act_window")]
        )
        return self.env["ir.actions.act_window"].browse(data.mapped("res_id"))

    def test_every_action_view_loads(self):
        actions = self._our_actions()
        self.assertGreaterEqual(len(actions), 3)
        for action in actions:
            modes = action.view_mode.split(",")
            views = [(False, mode) for mode in modes] + [(False, "search")]
            with self.subTest(action=action.name):
                result = self.env[action.res_model].get_views(views)
                self.assertEqual(set(result["views"]), set(modes) | {"search"})

    def test_campaign_views_load_for_a_campaign_user(self):
        campaigns = self.env["utm.campaign"].with_user(self.campaign_user)
        arch = campaigns.get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn("mailjet_newsletter", arch)
        self.assertIn("participant_ids", arch)
        self.assertNotIn("mailjet_interface_id", arch, "the interface is for admins only")

    def test_R1_settings_have_an_interfaces_section(self):
        arch = self.env["res.config.settings"].get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn("ems_interfaces", arch)
        action = self.env.ref("ems_mailjet.action_ems_interface")
        self.assertIn(str(action.id), arch)

    def test_campaign_menu_reachable_without_debug_mode(self):
        menus = self.env["ir.ui.menu"].with_user(self.campaign_user).load_menus(debug=False)
        root = self.env.ref("ems_mailjet.menu_ems_root")
        self.assertIn(root.id, menus)
        campaigns = self.env.ref("ems_mailjet.menu_ems_campaign")
        self.assertIn(campaigns.id, menus)
        self.assertNotIn(self.env.ref("ems_mailjet.menu_ems_interface").id, menus)

    def test_interface_form_shows_the_secret_masked(self):
        arch = self.env["ems.interface"].get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn('name="api_secret_input"', arch)
        self.assertIn('password="True"', arch)
        self.assertNotIn('name="api_secret"', arch)

    def test_partner_and_employee_forms_load(self):
        for model in ("res.partner", "hr.employee"):
            with self.subTest(model=model):
                arch = self.env[model].get_views([(False, "form")])["views"]["form"]["arch"]
                self.assertIn("action_open_ems_participations", arch)

    def test_R1_settings_offer_a_new_interface_button(self):
        arch = self.env["res.config.settings"].get_views([(False, "form")])["views"]["form"]["arch"]
        new = self.env.ref("ems_mailjet.action_ems_interface_new")
        self.assertIn(f'name="{new.id}"', arch)
        self.assertEqual((new.res_model, new.view_mode), ("ems.interface", "form"))

    def test_unsaved_interface_shows_nothing_that_needs_a_saved_one(self):
        from lxml import etree

        arch = self.env["ems.interface"].get_views([(False, "form")])["views"]["form"]["arch"]
        form = etree.fromstring(arch)
        for xpath in (
            "//div[@name='button_box']",
            "//field[@name='state']",
            "//notebook",
            "//button[@name='action_test_connection']",
            "//button[@name='action_sync_now']",
        ):
            with self.subTest(xpath=xpath):
                node = form.xpath(xpath)[0]
                self.assertIn("not id", node.get("invisible", ""))
        self.assertTrue(form.xpath("//field[@name='lang']"), "the list language is set here")

    def test_no_redundant_invisible_fields(self):
        """Fields only used by an expression are added by Odoo; the views don't list them."""
        for xmlid in (
            "ems_mailjet.ems_interface_view_list",
            "ems_mailjet.ems_interface_view_form",
            "ems_mailjet.ems_campaign_participant_view_list",
            "ems_mailjet.ems_campaign_participant_view_form",
        ):
            with self.subTest(view=xmlid):
                arch = self.env.ref(xmlid).arch_db
                self.assertNotIn('invisible="1"', arch)
                self.assertNotIn('column_invisible="True"', arch)
