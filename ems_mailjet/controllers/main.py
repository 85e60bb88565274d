"""Mailjet's Event API webhook: unsubscribes arrive within seconds (R7, D4, D8).

``POST /ems_mailjet/webhook/<token>`` with HTTP basic credentials, both generated per
interface (``ems.interface.webhook_url``). Mailjet signs nothing, so the unguessable
token finds the interface and the credentials prove the caller; both are compared in
constant time and never logged. This controller only authenticates, parses
(``services/webhook.py``) and hands the events to ``ems.interface._mailjet_webhook_process``,
which decides and applies them in the request's single transaction. The nightly sync stays
the safety net (and handles signups).
"""

import base64
import binascii
import hmac
import logging

from odoo import SUPERUSER_ID, http
from odoo.http import request

from ..services.webhook import parse_events

_logger = logging.getLogger(__name__)

REALM = 'Basic realm="ems_mailjet"'
MAX_TOKEN_LENGTH = 128


class MailjetWebhookController(http.Controller):
    @http.route(
        "/ems_mailjet/webhook/<string:token>",
        type="http",
        auth="none",
        csrf=False,
        methods=["POST"],
        save_session=False,
        readonly=False,
    )
    def mailjet_webhook(self, token, **_params):
        request.update_env(user=SUPERUSER_ID)
        interface = self._webhook_interface(token)
        if not interface:
            return request.make_json_response({"status": "error", "error": "not found"}, status=404)
        if not self._webhook_authorized(interface):
            # No credentials, no token, no body in the log (D8).
            _logger.warning(
                "Mailjet webhook: missing or wrong credentials for interface %s from %s",
                interface.id,
                request.httprequest.remote_addr,
            )
            return request.make_json_response(
                {"status": "error", "error": "unauthorized"},
                status=401,
                headers=[("WWW-Authenticate", REALM)],
            )
        company = interface.company_id
        request.update_env(
            context=dict(
                request.env.context,
                allowed_company_ids=[company.id],
                lang=company.partner_id.lang or "en_US",
            )
        )
        interface = interface.with_env(request.env).sudo()
        try:
            parsed = parse_events(request.httprequest.get_data())
        except ValueError as error:
            _logger.warning("Mailjet webhook for interface %s: %s", interface.id, error)
            return request.make_json_response({"status": "error", "error": str(error)}, status=400)
        declined, ignored = interface._mailjet_webhook_process(parsed)
        _logger.info(
            "Mailjet webhook for interface %s: %s event(s), %s participant(s) declined, "
            "%s event(s) ignored",
            interface.id,
            parsed.skipped + len(parsed.events),
            declined,
            ignored,
        )
        return request.make_json_response(
            {"status": "ok", "declined": declined, "ignored": ignored}
        )

    # ------------------------------------------------------------------ checks
    def _webhook_interface(self, token):
        """The Mailjet interface whose webhook token is ``token`` (sudo), or nothing."""
        interfaces = request.env["ems.interface"].sudo()
        if not token or len(token) > MAX_TOKEN_LENGTH:
            return interfaces
        interface = interfaces.search(
            [("webhook_token", "=", token), ("interface_type", "=", "mailjet")], limit=1
        )
        if interface and hmac.compare_digest(
            (interface.webhook_token or "").encode(), token.encode()
        ):
            return interface
        return interfaces

    def _webhook_authorized(self, interface):
        """Do the request's HTTP basic credentials match the interface's (D8)?"""
        given = _basic_credentials(request.httprequest.headers.get("Authorization"))
        expected_user = (interface.webhook_user or "").encode()
        expected_password = (interface.webhook_password or "").encode()
        if not (given and expected_user and expected_password):
            return False
        user, password = given
        # Both comparisons always run: the answer's timing tells nothing about which failed.
        user_ok = hmac.compare_digest(user, expected_user)
        password_ok = hmac.compare_digest(password, expected_password)
        return user_ok and password_ok


def _basic_credentials(header):
    """(user, password) as bytes from an ``Authorization: Basic …`` header, else None."""
    scheme, _sep, value = (header or "").strip().partition(" ")
    if scheme.lower() != "basic" or not value.strip():
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None
    user, sep, password = decoded.partition(b":")
    if not sep:
        return None
    return user, password
