from odoo import Command
from odoo.tests import TransactionCase


def german(env):
    """Activate German with this module's translations; ``env`` reading German."""
    env["res.lang"]._activate_lang("de_DE")
    env["ir.module.module"]._load_module_terms(["ems_mailjet"], ["de_DE"], overwrite=True)
    return env(context=dict(env.context, lang="de_DE"))


class EmsMailjetCase(TransactionCase):
    """Campaigns, a partner, an employee, users of each role and a Mailjet interface."""

    SECRET = "s3cr3t-Mailjet-API-password"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.company = cls.env.company
        cls.campaign = cls.env["utm.campaign"].create(
            {"title": "Spring newsletter", "mailjet_newsletter": True}
        )
        cls.other_campaign = cls.env["utm.campaign"].create({"title": "Trade fair"})
        cls.partner = cls.env["res.partner"].create(
            {"name": "Erika Mustermann", "email": "Erika@Example.com", "ref": "K-1001"}
        )
        cls.partner_noref = cls.env["res.partner"].create(
            {"name": "Otto Normal", "email": "otto@example.com"}
        )
        cls.employee = cls.env["hr.employee"].create(
            {"name": "Max Muster", "work_email": "max.muster@example.com", "barcode": "EMP042"}
        )
        cls.employee_nobadge = cls.env["hr.employee"].create(
            {"name": "Lena Lang", "work_email": "lena@example.com"}
        )
        users = cls.env["res.users"].with_context(no_reset_password=True)
        cls.campaign_user = users.create(
            {
                "name": "Campaign User",
                "login": "ems_campaign_user",
                "email": "cu@example.com",
                "groups_id": [Command.set([cls.env.ref("ems_mailjet.group_campaign_user").id])],
            }
        )
        cls.campaign_manager = users.create(
            {
                "name": "Campaign Manager",
                "login": "ems_campaign_manager",
                "email": "cm@example.com",
                "groups_id": [Command.set([cls.env.ref("ems_mailjet.group_campaign_manager").id])],
            }
        )
        cls.interface = cls.env["ems.interface"].create(
            {
                "name": "Mailjet",
                "api_key": "public-key-123",
                "api_secret": cls.SECRET,
                "api_url": "http://127.0.0.1:9/",
            }
        )

    def participant(self, campaign=None, **values):
        values.setdefault("campaign_id", (campaign or self.campaign).id)
        return self.env["ems.campaign.participant"].create(values)
