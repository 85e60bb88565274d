import secrets
from urllib.parse import quote, urlsplit

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..services.errors import MailjetError
from ..services.webhook import REGISTERED_EVENTS
from .ems_mailjet_messages import render

# Unsubscribes, complaints and bounces, plus opens and clicks for the participants' activity.
WEBHOOK_EVENTS = (*REGISTERED_EVENTS, "open", "click")


class EmsMailjetWebhookMixin(models.AbstractModel):
    """Mailjet's Event API webhook of an interface: its secret address (token and Basic
    credentials), its registration in Mailjet, the status Mailjet reports for it, and the
    events it delivers. Mailjet posts unsubscribes within seconds; the nightly run stays
    the safety net."""

    _name = "ems.mailjet.webhook.mixin"
    _description = "Mailjet webhook of an interface"

    webhook_token = fields.Char(
        copy=False,
        readonly=True,
        groups="base.group_system",
        index=True,
        default=lambda self: secrets.token_urlsafe(24),
    )
    webhook_user = fields.Char(
        copy=False,
        readonly=True,
        groups="base.group_system",
        default=lambda self: "mj-" + secrets.token_hex(6),
    )
    webhook_password = fields.Char(
        copy=False,
        readonly=True,
        groups="base.group_system",
        exportable=False,
        default=lambda self: secrets.token_urlsafe(24),
    )
    webhook_url = fields.Char(
        string="Webhook URL",
        compute="_compute_webhook_url",
        groups="base.group_system",
        help="Register this address in Mailjet (Event API, Version 2) so that unsubscribes "
        "arrive within seconds; the nightly run remains the safety net.",
    )
    webhook_status = fields.Selection(
        selection=[("none", "Not registered"), ("alive", "Active"), ("dead", "Suspended")],
        string="Webhook in Mailjet",
        default="none",
        readonly=True,
        copy=False,
        help="How Mailjet holds this database's webhook, as read at the last synchronisation "
        "or check. Mailjet suspends a webhook that failed for a day; register it again "
        "(which gives it a new address) to have unsubscribes arrive within seconds again.",
    )

    @api.depends("webhook_token", "webhook_user", "webhook_password")
    def _compute_webhook_url(self):
        base = self.env["ir.config_parameter"].sudo().get_param("web.base.url", "")
        for interface in self:
            parts = urlsplit(base)
            if not (interface.webhook_token and parts.netloc):
                interface.webhook_url = False
                continue
            credentials = f"{quote(interface.webhook_user, safe='')}:" + quote(
                interface.webhook_password, safe=""
            )
            interface.webhook_url = (
                f"{parts.scheme}://{credentials}@{parts.netloc}"
                f"/ems_mailjet/webhook/{interface.webhook_token}"
            )

    def action_register_webhook(self):
        """Tell Mailjet to post unsubscribes, spam complaints, bounces and blocks here."""
        self.ensure_one()
        if not self.webhook_url or not self.webhook_url.startswith("https://"):
            raise UserError(
                self.env._(
                    "Mailjet only calls webhooks over HTTPS: set the system parameter "
                    "web.base.url to this database's public https:// address first."
                )
            )
        try:
            with self._quick_gateway() as gateway:
                if gateway.event_callback_status(self.webhook_url, WEBHOOK_EVENTS) == "dead":
                    # Mailjet revives a suspended webhook only for a new address: a new
                    # token, and the old address answers 404 from now on.
                    self.sudo().webhook_token = secrets.token_urlsafe(24)
                gateway.register_event_callbacks(self.webhook_url, WEBHOOK_EVENTS)
                status = gateway.event_callback_status(self.webhook_url, WEBHOOK_EVENTS)
        except MailjetError as error:
            raise UserError(self._quick_error_text(error)) from None
        self.webhook_status = status
        return self._notify(
            self.env._("Mailjet now reports unsubscribes to this database within seconds."),
            "success",
        )

    def action_check_webhook(self):
        """Ask Mailjet (one call) whether it still posts to this database's webhook."""
        self.ensure_one()
        try:
            with self._quick_gateway() as gateway:
                status = self._mailjet_webhook_status(gateway)
        except MailjetError as error:
            return self._notify(self._quick_error_text(error), "danger")
        self.webhook_status = status
        kind = {"alive": "success", "dead": "danger"}.get(status, "warning")
        return self._notify(render(self.env, f"webhook_{status}"), kind)

    def _mailjet_webhook_status(self, gateway):
        """none / alive / dead, with one call (none without a call when there is no
        https address to register)."""
        url = self.webhook_url
        if not url or not url.startswith("https://"):
            return "none"
        return gateway.event_callback_status(url, WEBHOOK_EVENTS)

    def _mailjet_webhook_process(self, parsed):
        """Apply Mailjet's events (``services.webhook.ParsedEvents``) to this interface's
        campaigns; return (participants declined, events ignored)."""
        self.ensure_one()
        return self.env["ems.mailjet.events"].sudo()._mailjet_webhook_process(self, parsed)
