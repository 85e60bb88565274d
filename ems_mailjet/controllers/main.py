"""Mailjet's Event API webhook: unsubscribes arrive within seconds (R7, D4, D8).

``POST /ems_mailjet/webhook/<token>`` with HTTP basic credentials, both generated per
interface (``ems.interface.webhook_url``). Mailjet signs nothing, so the unguessable
token finds the interface and the credentials prove the caller; both are compared in
constant time and never logged. The body is parsed and decided in plain Python
(``services/webhook.py``); this controller applies the decisions in the request's single
transaction. The nightly sync stays the safety net (and handles signups).

Idempotent: a participant that is already declined keeps its date and gets no new
chatter line, so Mailjet's retries and duplicates change nothing.
"""

import base64
import binascii
import hmac
import logging
from datetime import timezone

from odoo import SUPERUSER_ID, http
from odoo.http import request
from odoo.tools.misc import format_datetime

from ..services.webhook import decide, parse_events, predates_consent

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
        declined, ignored = self._webhook_apply(interface, parsed)
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

    # ------------------------------------------------------------------ apply
    def _webhook_apply(self, interface, parsed):
        """Decline what the events ask for; return (participants declined, events ignored)."""
        env = request.env
        campaigns = (
            env["utm.campaign"]
            .sudo()
            .with_context(active_test=False)
            .search(
                [
                    ("mailjet_interface_id", "=", interface.id),
                    ("mailjet_newsletter", "=", True),
                    ("mailjet_list_id", "!=", False),
                ]
            )
        )
        list_of = {c.id: int(c.mailjet_list_id) for c in campaigns if _is_id(c.mailjet_list_id)}
        decisions = decide(parsed.events, list_of.values())
        wanted = {(d.list_id, d.email): d for d in decisions.declines}
        participants = env["ems.campaign.participant"].sudo().with_context(active_test=False)
        if wanted:
            participants = participants.search(
                [
                    ("campaign_id", "in", list(list_of)),
                    ("email_normalized", "in", sorted(decisions.emails)),
                ],
                order="campaign_id, id",
            )
        else:
            participants = participants.browse()

        to_decline, to_confirm = [], participants.browse()
        for participant in participants:
            key = (list_of.get(participant.campaign_id.id), participant.email_normalized)
            decline = wanted.get(key)
            if not decline:
                continue
            if participant.state == "declined":
                if participant.mailjet_synced_state != "declined":
                    to_confirm |= participant
            elif not predates_consent(decline.when, participant.consent_date, interface.tz):
                to_decline.append((participant, decline))

        lines, bodies = [], {}
        for participant, decline in to_decline:
            when = decline.when.astimezone(timezone.utc).replace(tzinfo=None)  # Odoo: naive UTC
            participant.write(
                {"state": "declined", "declined_at": when, "mailjet_synced_state": "declined"}
            )
            moment = _moment(env, when, interface.tz)
            campaign = participant.campaign_id.title or participant.campaign_id.name
            if decline.reason == "spam":
                bodies[participant.id] = env._(
                    "Reported as spam in Mailjet (webhook) on %(date)s.", date=moment
                )
                lines.append(
                    env._(
                        "%(email)s declined in %(campaign)s: reported as spam in Mailjet on "
                        "%(date)s.",
                        email=participant.email_normalized,
                        campaign=campaign,
                        date=moment,
                    )
                )
            else:
                bodies[participant.id] = env._(
                    "Unsubscribed in Mailjet (webhook) on %(date)s.", date=moment
                )
                lines.append(
                    env._(
                        "%(email)s declined in %(campaign)s: unsubscribed in Mailjet on %(date)s.",
                        email=participant.email_normalized,
                        campaign=campaign,
                        date=moment,
                    )
                )
        if bodies:
            # The legal trail of each unsubscribe, next to the state's own tracking.
            participants.browse(list(bodies))._message_log_batch(bodies)
        if to_confirm:
            to_confirm.write({"mailjet_synced_state": "declined"})

        if to_decline or to_confirm:
            if to_confirm:
                lines.append(
                    env._(
                        "%(count)s participant(s) were already declined; Mailjet confirmed the "
                        "unsubscribe.",
                        count=len(to_confirm),
                    )
                )
            if decisions.reported:
                lines.append(
                    env._(
                        "%(count)s hard bounce(s) or blocked message(s) reported by Mailjet; "
                        "nothing changed for them.",
                        count=len(decisions.reported),
                    )
                )
            run = (
                env["ems.mailjet.sync.run"]
                .sudo()
                .create(
                    {
                        "interface_id": interface.id,
                        "trigger": "webhook",
                        "declined_from_mailjet": len(to_decline),
                    }
                )
            )
            if lines:
                run._note("\n".join(lines))
            run._finish("done")

        applied = {decline.event_key for _participant, decline in to_decline}
        ignored = parsed.skipped + len(parsed.events) - len(applied)
        _logger.info(
            "Mailjet webhook for interface %s: %s event(s), %s participant(s) declined, "
            "%s hard bounce(s)/blocked reported, %s event(s) ignored",
            interface.id,
            parsed.skipped + len(parsed.events),
            len(to_decline),
            len(decisions.reported),
            ignored,
        )
        return len(to_decline), ignored


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


def _is_id(value):
    return bool(value) and str(value).strip().isdigit() and int(value) > 0


def _moment(env, when, tz):
    """A naive UTC datetime as the interface's local time, with the zone's name."""
    zone = tz or "UTC"
    return f"{format_datetime(env, when, tz=zone, dt_format='medium')} ({zone})"
