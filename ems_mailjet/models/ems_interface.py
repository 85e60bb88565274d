from urllib.parse import urlsplit

from odoo import api, fields, models
from odoo.exceptions import AccessError, ValidationError

from odoo.addons.base.models.res_partner import _tz_get

MAILJET_API_URL = "https://api.mailjet.com/"
# mailjet-rest itself refuses any other host (utils/guardrails.validate_config_url);
# we check first so that the admin gets a clear message at save time.
_LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1"}


class EmsInterface(models.Model):
    """A connection to an external system; today only Mailjet (R1)."""

    _name = "ems.interface"
    _description = "Interface to an external system"
    _inherit = ["mail.thread"]
    _order = "sequence, name, id"

    name = fields.Char(required=True, tracking=True)
    sequence = fields.Integer(default=10)
    interface_type = fields.Selection(
        selection=[("mailjet", "Mailjet – E-Mail-Marketing Plattform")],
        string="Type",
        required=True,
        default="mailjet",
        tracking=True,
    )
    api_key = fields.Char(
        string="API key",
        groups="base.group_system",
        copy=False,
        help="The Mailjet API key (Account settings → REST API → API key management).",
    )
    api_secret = fields.Char(
        string="API password",
        groups="base.group_system",
        copy=False,
        exportable=False,
        help="The Mailjet secret key. Mailjet shows it only once; it is stored here and "
        "never shown again.",
    )
    # The form edits the secret through this field: it always reads empty, so the
    # stored secret never travels back to a browser (R1, D8).
    api_secret_input = fields.Char(
        string="New API password",
        compute="_compute_api_secret_input",
        inverse="_inverse_api_secret_input",
        groups="base.group_system",
        copy=False,
        exportable=False,
    )
    has_api_secret = fields.Boolean(
        string="API password set",
        compute="_compute_has_api_secret",
        groups="base.group_system",
    )
    api_url = fields.Char(
        string="API URL",
        required=True,
        default=MAILJET_API_URL,
        help="Mailjet's REST endpoint. Change it only to point at a local Mailjet sandbox "
        "for tests or demos.",
    )
    active = fields.Boolean(default=True, tracking=True)
    company_id = fields.Many2one(
        "res.company",
        string="Company",
        required=True,
        default=lambda self: self.env.company,
        tracking=True,
    )
    tz = fields.Selection(
        _tz_get,
        string="Time zone",
        required=True,
        default=lambda self: self.env.user.tz or "Europe/Berlin",
        help="The nightly synchronisation window is read in this time zone.",
    )
    sync_window_start = fields.Float(
        string="Sync window start",
        default=22.0,
        help="Local hour at which the nightly synchronisation may start (22:00 by default).",
    )
    sync_window_minutes = fields.Integer(
        string="Sync window length (minutes)",
        default=60,
        help="The nightly synchronisation runs only inside this window and resumes the next "
        "night where it stopped.",
    )
    state = fields.Selection(
        selection=[
            ("draft", "Not connected"),
            ("connected", "Connected"),
            ("error", "Error"),
        ],
        default="draft",
        required=True,
        readonly=True,
        copy=False,
        tracking=True,
    )
    last_sync_at = fields.Datetime(string="Last synchronisation", readonly=True, copy=False)
    last_error = fields.Text(readonly=True, copy=False)
    campaign_ids = fields.One2many(
        "utm.campaign", "mailjet_interface_id", string="Newsletter campaigns"
    )
    campaign_count = fields.Integer(compute="_compute_campaign_count")

    _sql_constraints = [
        (
            "sync_window_start_range",
            "CHECK(sync_window_start >= 0 AND sync_window_start < 24)",
            "The sync window must start between 00:00 and 23:59.",
        ),
        (
            "sync_window_minutes_range",
            "CHECK(sync_window_minutes >= 1 AND sync_window_minutes <= 1440)",
            "The sync window must last between 1 minute and 24 hours.",
        ),
    ]

    def _compute_api_secret_input(self):
        self.api_secret_input = False

    def _inverse_api_secret_input(self):
        for interface in self:
            if interface.api_secret_input:
                interface.api_secret = interface.api_secret_input.strip()

    @api.depends("api_secret")
    def _compute_has_api_secret(self):
        for interface in self:
            interface.has_api_secret = bool(interface.api_secret)

    def _compute_campaign_count(self):
        counts = dict(
            self.env["utm.campaign"]._read_group(
                [("mailjet_interface_id", "in", self.ids)],
                ["mailjet_interface_id"],
                ["__count"],
            )
        )
        for interface in self:
            interface.campaign_count = counts.get(interface, 0)

    @api.constrains("api_url")
    def _check_api_url(self):
        for interface in self:
            parts = urlsplit(interface.api_url or "")
            host = (parts.hostname or "").lower()
            allowed = host == "mailjet.com" or host.endswith(".mailjet.com")
            if parts.scheme == "http":
                allowed = host in _LOOPBACK_HOSTS
            elif parts.scheme != "https":
                allowed = False
            if not allowed:
                raise ValidationError(
                    self.env._(
                        "The API URL %(url)s is not accepted. Use https://api.mailjet.com/ "
                        "(or https://api.us.mailjet.com/); http is allowed only for a local "
                        "sandbox on 127.0.0.1 or localhost.",
                        url=interface.api_url,
                    )
                )

    @api.constrains("api_key")
    def _check_api_key(self):
        for interface in self.sudo():
            key = interface.api_key
            if key and (key != key.strip() or any(c.isspace() for c in key)):
                raise ValidationError(
                    self.env._("The API key must not contain spaces or line breaks.")
                )

    def export_data(self, fields_to_export):
        """The API password never leaves the database through an export (D8)."""
        secret_fields = {"api_secret", "api_secret_input"}
        if any(path.split("/")[0] in secret_fields for path in fields_to_export):
            raise AccessError(self.env._("The API password cannot be exported."))
        return super().export_data(fields_to_export)

    def action_open_campaigns(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "ems_mailjet.action_ems_campaign"
        )
        action["domain"] = [("mailjet_interface_id", "=", self.id)]
        return action

    @api.model
    def _default_for_company(self, company):
        """The active Mailjet interface that newsletter campaigns of ``company`` use."""
        return self.sudo().search(
            [("interface_type", "=", "mailjet"), ("company_id", "=", company.id)],
            limit=1,
        )
