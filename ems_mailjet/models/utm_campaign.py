import logging
from datetime import datetime, timedelta, timezone

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools.misc import format_datetime

from ..services.errors import MailjetAuthFailed, MailjetError, MailjetNotFound
from ..services.notes import Note
from ..services.records import Checkpoint, external_id, stored_id
from ..services.sync import survey, sync_list
from ..services.webhook import SPAM_EVENT, decide, predates_consent
from .participant_store import OdooParticipantStore

_logger = logging.getLogger(__name__)

# Statistics change slowly; reading them once per list every few hours keeps a sync that
# finds nothing to do at four calls per list.
STATISTICS_MAX_AGE = timedelta(hours=6)


class UtmCampaign(models.Model):
    """A campaign keeps participants; ticked "Newsletter" it mirrors a Mailjet list.

    The per-list part of a synchronisation lives here (``_mailjet_sync``): the interface
    loops over its campaigns, each campaign syncs its own list and writes its own values
    once per run."""

    _inherit = "utm.campaign"

    # Same definition as sale's, so both modules can be installed together.
    company_id = fields.Many2one("res.company", default=lambda self: self.env.company)
    mailjet_newsletter = fields.Boolean(
        string="Newsletter (E-Mail-Marketing)",
        help="Only campaigns with this tick are synchronised with a Mailjet contact list, "
        "which takes the campaign's name.",
    )
    participant_ids = fields.One2many(
        "ems.campaign.participant", "campaign_id", string="Participants"
    )
    mailjet_interface_id = fields.Many2one(
        "ems.interface",
        string="Mailjet interface",
        compute="_compute_mailjet_interface_id",
        store=True,
        readonly=False,
        ondelete="set null",
        groups="base.group_system",
        domain="[('interface_type', '=', 'mailjet')]",
    )
    mailjet_list_id = fields.Char(
        string="Mailjet list ID",
        readonly=True,
        copy=False,
        help="The ID of the Mailjet contact list this campaign is mirrored to.",
    )
    mailjet_list_name = fields.Char(
        string="Mailjet list name",
        readonly=True,
        copy=False,
        help="The name the Mailjet list had after the last synchronisation.",
    )
    mailjet_list_deleted = fields.Boolean(
        string="List deleted in Mailjet",
        readonly=True,
        copy=False,
        help="Somebody deleted this campaign's list in Mailjet. Nothing is sent until you "
        "reinstate it or start a new list.",
    )
    mailjet_checkpoint = fields.Json(copy=False, readonly=True)
    mailjet_last_sync_at = fields.Datetime(string="Last synchronisation", readonly=True, copy=False)
    # The list as Mailjet counts it
    mailjet_count_total = fields.Integer(string="Contacts", readonly=True, copy=False)
    mailjet_count_subscribed = fields.Integer(string="Subscribed", readonly=True, copy=False)
    mailjet_count_unsubscribed = fields.Integer(string="Unsubscribed", readonly=True, copy=False)
    mailjet_count_excluded = fields.Integer(string="Excluded", readonly=True, copy=False)
    # What Mailjet's campaigns sent to this list did
    mailjet_stat_sent = fields.Integer(string="Sent", readonly=True, copy=False)
    mailjet_stat_opened = fields.Integer(string="Opened", readonly=True, copy=False)
    mailjet_stat_clicked = fields.Integer(string="Clicked", readonly=True, copy=False)
    mailjet_stat_unsubscribed = fields.Integer(
        string="Unsubscribed (statistics)", readonly=True, copy=False
    )
    mailjet_stat_bounced = fields.Integer(string="Bounced", readonly=True, copy=False)
    mailjet_stat_spam = fields.Integer(string="Marked as spam", readonly=True, copy=False)
    mailjet_stats_at = fields.Datetime(
        string="Statistics updated",
        readonly=True,
        copy=False,
        help="Mailjet's statistics are read at most every few hours (by the nightly run).",
    )
    participant_count = fields.Integer(
        string="Number of participants", compute="_compute_participant_counts"
    )
    participant_accepted_count = fields.Integer(
        string="Accepted", compute="_compute_participant_counts"
    )
    participant_declined_count = fields.Integer(
        string="Declined", compute="_compute_participant_counts"
    )

    @api.depends("mailjet_newsletter", "company_id")
    def _compute_mailjet_interface_id(self):
        interface_model = self.env["ems.interface"]
        for campaign in self:
            if campaign.mailjet_newsletter and not campaign.mailjet_interface_id:
                company = campaign.company_id or self.env.company
                campaign.mailjet_interface_id = interface_model._default_for_company(company)

    @api.depends("participant_ids.state")
    def _compute_participant_counts(self):
        counts = {
            (campaign.id, state): count
            for campaign, state, count in self.env["ems.campaign.participant"]._read_group(
                [("campaign_id", "in", self.ids)], ["campaign_id", "state"], ["__count"]
            )
        }
        for campaign in self:
            accepted = counts.get((campaign.id, "accepted"), 0)
            declined = counts.get((campaign.id, "declined"), 0)
            campaign.participant_accepted_count = accepted
            campaign.participant_declined_count = declined
            campaign.participant_count = accepted + declined

    @api.ondelete(at_uninstall=False)
    def _unlink_except_declined_participants(self):
        """Deleting a campaign would delete the legal record of its unsubscribes."""
        participants = self.env["ems.campaign.participant"].with_context(active_test=False)
        declined = participants.search_count(
            [("campaign_id", "in", self.ids), ("state", "=", "declined")], limit=1
        )
        if declined:
            raise UserError(
                self.env._(
                    "This campaign has declined participants: their unsubscribes are a legal "
                    "record and cannot be deleted. Archive the campaign instead."
                )
            )

    def _mailjet_list_name(self):
        """The name of the campaign's Mailjet list: the campaign's title as users see it
        in the interface's language, whatever the language of whoever edits the campaign
        or runs the synchronisation."""
        self.ensure_one()
        interface = self.sudo().mailjet_interface_id
        lang = interface.lang or self.env.company.partner_id.lang or "en_US"
        return self.with_context(lang=lang).title

    def action_open_participants(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "ems_mailjet.action_ems_campaign_participant"
        )
        action["domain"] = [("campaign_id", "=", self.id)]
        action["context"] = {"default_campaign_id": self.id}
        return action

    # ------------------------------------------------------------------ Mailjet sync
    def _mailjet_wanted_lists(self):
        """``(campaign id, list name, stored list id)`` for ``MailjetGateway.ensure_lists``."""
        return [(c.id, c._mailjet_list_name(), external_id(c.mailjet_list_id)) for c in self]

    def _mailjet_overview(self, run, gateway, ensured):
        """What Mailjet says about all these campaigns' lists at once
        (``services.sync.survey``), or None when it cannot tell: the error goes to the
        run's log and each list reads its own."""
        lists = [
            (e.list_id, e.subscriber_count, Checkpoint.from_dict(c.sudo().mailjet_checkpoint))
            for c in self
            for e in [ensured[c.id]]
            if e.list_id and not e.created and not e.error
        ]
        try:
            return survey(gateway, lists)
        except MailjetAuthFailed:
            raise
        except MailjetError as error:
            _logger.warning("Mailjet overview of all lists failed, reading each list: %s", error)
            run._log_error(error)
            return None

    def _mailjet_sync(self, run, gateway, ensured, overview=None):
        """Sync this campaign's list (``ensured``: its ``EnsuredList``) and add what happened
        to ``run``. The campaign is written once, whatever the outcome. ``overview``: the
        run's ``services.sync.Overview`` of all lists."""
        self.ensure_one()
        if ensured.deleted:
            self.write({"mailjet_list_deleted": True})
        if ensured.error or not ensured.list_id:
            run._log_notes([ensured.error or Note("list_no_name")], self)
            run.errors += 1
            return
        lost_list = ensured.created and external_id(self.mailjet_list_id)
        store = OdooParticipantStore(self)
        values = {
            "mailjet_list_id": stored_id(ensured.list_id),
            "mailjet_list_name": ensured.name,
            "mailjet_list_deleted": False,
        }
        try:
            list_overview = None
            if overview is not None:
                list_overview = overview.for_list(
                    ensured.list_id, store.get_checkpoint(), created=ensured.created
                )
            report = sync_list(
                gateway,
                ensured.list_id,
                store,
                known_empty=ensured.created,
                overview=list_overview,
            )
            values.update(self._mailjet_report_values(report))
            if ensured.created:
                values["mailjet_stats_at"] = fields.Datetime.now()  # nothing sent to it yet
            elif not report.aborted and self._mailjet_statistics_due():
                values.update(self._mailjet_statistics_values(gateway, ensured.list_id, run))
        finally:
            if store.checkpoint is not None:
                values["mailjet_checkpoint"] = store.checkpoint
            self.write(values)
        if ensured.renamed:
            report.add(Note("list_renamed", {"name": ensured.name}))
        if lost_list:
            report.add(Note("list_recreated", {"old_id": lost_list, "new_id": ensured.list_id}))
        run._add(report, self)

    def action_mailjet_reinstate_list(self):
        """Undo the deletion in Mailjet: the list comes back with its members and their
        unsubscribes, and the next synchronisation (started now) carries on with it."""
        self.ensure_one()
        list_id = external_id(self.mailjet_list_id)
        interface = self.sudo().mailjet_interface_id
        try:
            with interface._quick_gateway() as gateway:
                gateway.reinstate_list(list_id)
        except MailjetNotFound:
            raise UserError(
                self.env._(
                    "Mailjet no longer has list %(list_id)s at all, so it cannot be "
                    "reinstated. Start a new list instead.",
                    list_id=list_id,
                )
            ) from None
        except MailjetError as error:
            raise UserError(interface._quick_error_text(error)) from None
        self.write({"mailjet_list_deleted": False})
        interface._request_sync("manual")
        return interface._notify(
            self.env._("The list is back in Mailjet; a synchronisation has started."), "success"
        )

    def action_mailjet_new_list(self):
        """Replace the deleted list by a new one. Every participant is sent to it at the
        next synchronisation (started now): the accepted ones subscribed, every declined
        one unsubscribed, so no unsubscribe is lost."""
        self.ensure_one()
        interface = self.sudo().mailjet_interface_id
        old_id = external_id(self.mailjet_list_id)
        try:
            with interface._quick_gateway() as gateway:
                new = gateway.new_list(self._mailjet_list_name(), deleted_id=old_id)
        except MailjetError as error:
            raise UserError(interface._quick_error_text(error)) from None
        self.write(
            {
                "mailjet_list_id": stored_id(new.id),
                "mailjet_list_name": new.name,
                "mailjet_list_deleted": False,
                "mailjet_checkpoint": False,
            }
        )
        participants = self.with_context(active_test=False).participant_ids.sudo()
        participants.write({"mailjet_synced_state": False})
        interface._request_sync("manual")
        return interface._notify(
            self.env._("A new list was created in Mailjet; a synchronisation has started."),
            "success",
        )

    def _mailjet_report_values(self, report):
        values = {"mailjet_last_sync_at": fields.Datetime.now()}
        if report.counters:
            values.update(
                mailjet_count_total=report.counters.total,
                mailjet_count_subscribed=report.counters.subscribed,
                mailjet_count_unsubscribed=report.counters.unsubscribed,
                mailjet_count_excluded=report.counters.excluded,
            )
        return values

    def _mailjet_statistics_due(self):
        age = fields.Datetime.now() - (self.mailjet_stats_at or datetime.min)
        return age > STATISTICS_MAX_AGE

    def _mailjet_statistics_values(self, gateway, list_id, run):
        """The list's lifetime message statistics from Mailjet (a problem goes to the log)."""
        try:
            stats = gateway.list_statistics(list_id)
        except MailjetError as error:
            run._log_notes([error.note()], self)
            return {}
        return {
            "mailjet_stats_at": fields.Datetime.now(),
            "mailjet_stat_sent": stats.sent,
            "mailjet_stat_opened": stats.opened,
            "mailjet_stat_clicked": stats.clicked,
            "mailjet_stat_unsubscribed": stats.unsubscribed,
            "mailjet_stat_bounced": stats.bounced,
            "mailjet_stat_spam": stats.spam,
        }

    # ------------------------------------------------------------------ Mailjet webhook
    def _mailjet_list_ids(self):
        """Campaign id → its Mailjet list id, for the campaigns that have one."""
        ids = {c.id: external_id(c.mailjet_list_id) for c in self}
        return {campaign_id: list_id for campaign_id, list_id in ids.items() if list_id}

    @api.model
    def _mailjet_webhook_process(self, interface, parsed):
        """Apply Mailjet's events (``services.webhook.ParsedEvents``) to the newsletter
        campaigns of ``interface``; return (participants declined, events ignored).

        Idempotent: a participant that is already declined keeps its date and gets no new
        chatter line, so Mailjet's retries and duplicates change nothing."""
        campaigns = self.with_context(active_test=False).search(
            [
                ("mailjet_interface_id", "=", interface.id),
                ("mailjet_newsletter", "=", True),
                ("mailjet_list_id", "!=", False),
            ]
        )
        list_of = campaigns._mailjet_list_ids()
        decisions = decide(parsed.events, list_of.values())
        to_decline, to_confirm = self._mailjet_webhook_targets(interface, list_of, decisions)
        lines = []
        bodies = {}
        for participant, decline in to_decline:
            when = decline.when.astimezone(timezone.utc).replace(tzinfo=None)  # Odoo: naive UTC
            participant.write(
                {"state": "declined", "declined_at": when, "mailjet_synced_state": "declined"}
            )
            moment = f"{fields.Datetime.to_string(when)}"
            spam = decline.reason == SPAM_EVENT
            bodies[participant.id] = self._mailjet_webhook_body(spam, when, interface.tz)
            params = {
                "email": participant.email_normalized,
                "campaign": participant.campaign_id.title or participant.campaign_id.name,
                "date": moment,
                "tz": interface.tz or "UTC",
            }
            code = "webhook_spam" if spam else "webhook_unsubscribed"
            lines.append((code, params, participant.campaign_id, participant.id))
        if bodies:
            # The legal trail of each unsubscribe, next to the state's own tracking.
            participants = self.env["ems.campaign.participant"].sudo()
            participants.browse(list(bodies))._message_log_batch(bodies)
        if to_confirm:
            to_confirm.write({"mailjet_synced_state": "declined"})
            lines.append(("webhook_confirmed", {"count": len(to_confirm)}, None, None))
        if to_decline or to_confirm:
            if decisions.reported:
                lines.append(("webhook_reported", {"count": len(decisions.reported)}, None, None))
            run = (
                self.env["ems.mailjet.sync.run"]
                .sudo()
                .create(
                    {
                        "interface_id": interface.id,
                        "trigger": "webhook",
                        "declined_from_mailjet": len(to_decline),
                    }
                )
            )
            for code, params, campaign, participant_id in lines:
                run._log(code, params, campaign, participant_id)
            run._finish("done")
        applied = {decline.event_key for _participant, decline in to_decline}
        ignored = parsed.skipped + len(parsed.events) - len(applied)
        return len(to_decline), ignored

    @api.model
    def _mailjet_webhook_targets(self, interface, list_of, decisions):
        """(participants to decline with their decision, participants already declined
        whose unsubscribe Mailjet now confirms)."""
        participants = self.env["ems.campaign.participant"].sudo().with_context(active_test=False)
        wanted = {(d.list_id, d.email): d for d in decisions.declines}
        if not wanted:
            return [], participants.browse()
        found = participants.search(
            [
                ("campaign_id", "in", list(list_of)),
                ("email_normalized", "in", sorted(decisions.emails)),
            ],
            order="campaign_id, id",
        )
        to_decline, to_confirm = [], participants.browse()
        for participant in found:
            decline = wanted.get(
                (list_of.get(participant.campaign_id.id), participant.email_normalized)
            )
            if not decline:
                continue
            if participant.state == "declined":
                if participant.mailjet_synced_state != "declined":
                    to_confirm |= participant
            elif not predates_consent(decline.when, participant.consent_date, interface.tz):
                to_decline.append((participant, decline))
        return to_decline, to_confirm

    @api.model
    def _mailjet_webhook_body(self, spam, when, tz):
        """The chatter line of a participant declined by the webhook."""
        zone = tz or "UTC"
        moment = f"{format_datetime(self.env, when, tz=zone, dt_format='medium')} ({zone})"
        if spam:
            return self.env._("Reported as spam in Mailjet (webhook) on %(date)s.", date=moment)
        return self.env._("Unsubscribed in Mailjet (webhook) on %(date)s.", date=moment)
