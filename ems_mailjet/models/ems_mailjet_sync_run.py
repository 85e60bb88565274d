import logging
import time
from datetime import timedelta

from odoo import api, fields, models

from ..services.errors import MailjetError
from .advisory_lock import try_advisory_lock
from .campaign_sync import finish_campaign_syncs

_logger = logging.getLogger(__name__)

# pg advisory lock namespace ("EMSM"): one lock per interface, cron and manual runs alike.
_LOCK_CLASS = 0x454D534D
# Lists started before their jobs are polled together: one wait per wave, not per list.
# Each started list keeps its participants in memory until it is finished.
WAVE = 20

COUNTERS = (
    "pushed",
    "unsubscribed_in_mailjet",
    "declined_from_mailjet",
    "new_signups",
    "matched",
    "unmatched",
    "ambiguous",
    "errors",
    "api_calls",
)


class EmsMailjetSyncRun(models.Model):
    """One synchronisation of one interface: what it did, how long, what went wrong."""

    _name = "ems.mailjet.sync.run"
    _description = "Mailjet synchronisation run"
    _order = "started_at desc, id desc"
    _rec_name = "started_at"

    interface_id = fields.Many2one(
        "ems.interface", required=True, ondelete="cascade", index=True, readonly=True
    )
    company_id = fields.Many2one(related="interface_id.company_id", store=True)
    trigger = fields.Selection(
        selection=[
            ("cron", "Nightly"),
            ("manual", "Manual"),
            ("save", "Saved credentials"),
            ("webhook", "Webhook"),
        ],
        required=True,
        default="manual",
        readonly=True,
    )
    started_at = fields.Datetime(
        string="Start", required=True, readonly=True, default=fields.Datetime.now
    )
    ended_at = fields.Datetime(string="End", readonly=True)
    duration = fields.Float(string="Duration (s)", readonly=True, digits=(16, 1))
    state = fields.Selection(
        selection=[
            ("running", "Running"),
            ("done", "Done"),
            ("partial", "Partly done"),
            ("failed", "Failed"),
            ("skipped", "Skipped"),
        ],
        required=True,
        default="running",
        readonly=True,
    )
    lists_total = fields.Integer(string="Lists", readonly=True)
    lists_done = fields.Integer(string="Lists synchronised", readonly=True)
    pushed = fields.Integer(string="Pushed to Mailjet", readonly=True)
    unsubscribed_in_mailjet = fields.Integer(string="Unsubscribed in Mailjet", readonly=True)
    declined_from_mailjet = fields.Integer(string="Declined from Mailjet", readonly=True)
    new_signups = fields.Integer(string="New signups", readonly=True)
    matched = fields.Integer(readonly=True)
    unmatched = fields.Integer(readonly=True)
    ambiguous = fields.Integer(readonly=True)
    errors = fields.Integer(readonly=True)
    api_calls = fields.Integer(string="API calls", readonly=True)
    line_ids = fields.One2many("ems.mailjet.sync.run.line", "run_id", string="Log lines")
    # The whole log as text in the reader's language (for exports and a quick read).
    log = fields.Text(compute="_compute_log")
    # What a run written before the log lines existed stored as text (read as it is).
    legacy_log = fields.Text(string="Log (text)", readonly=True)

    @api.depends("line_ids.code", "line_ids.params", "legacy_log")
    @api.depends_context("lang")
    def _compute_log(self):
        for run in self:
            texts = [run.legacy_log] if run.legacy_log else []
            for line in run.line_ids.sorted("id"):
                prefix = f"{line.campaign_id.title}: " if line.campaign_id else ""
                texts.append(prefix + line.message)
            run.log = "\n".join(texts) or False

    @api.depends("started_at")
    @api.depends_context("lang", "tz")
    def _compute_display_name(self):
        """ "Run of 28.11.2026 01:42:35": the user's date and time format and time zone."""
        lang = self.env["res.lang"]._get_data(code=self.env.lang or "en_US")
        pattern = f"{lang.date_format} {lang.time_format}"
        for run in self:
            started = ""
            if run.started_at:
                started = fields.Datetime.context_timestamp(run, run.started_at).strftime(pattern)
            run.display_name = self.env._("Run of %(date)s", date=started)

    def _add(self, report, campaign):
        """Add one list's engine report (``services.sync.RunReport``) to this run."""
        self.ensure_one()
        values = {name: self[name] + getattr(report, name) for name in COUNTERS}
        if not report.aborted:
            values["lists_done"] = self.lists_done + 1
        self.write(values)
        self._log_notes(report.lines, campaign)

    def _log_notes(self, notes, campaign=None):
        """Engine notes (``services.notes.Note``) as lines of this run."""
        lines = self.env["ems.mailjet.sync.run.line"]
        lines.create([lines._values(self, n.code, n.params, campaign, n.key) for n in notes])

    def _log(self, code, params=None, campaign=None, participant_id=None):
        """One line of this run, by its code (``models/ems_mailjet_messages.py``)."""
        self.ensure_one()
        lines = self.env["ems.mailjet.sync.run.line"]
        lines.create(lines._values(self, code, params, campaign, participant_id))

    def _log_error(self, error, campaign=None):
        """A Mailjet error (``services.errors``) as an error line that counts."""
        self.ensure_one()
        self._log_notes([error.note()], campaign)
        self.errors += 1

    # ------------------------------------------------------------------ the sync
    @api.model
    def _execute(self, interface, trigger, deadline=None, auto_commit=False):
        """One synchronisation of ``interface``; returns its run. Commits after each list
        when ``auto_commit`` (cron), so a crash or the window's end loses nothing that was
        done; the next run resumes with the lists that were not reached (oldest first)."""
        with try_advisory_lock(self.env.cr, _LOCK_CLASS, interface.id) as locked:
            if not locked:
                return self._create_skipped(interface, trigger)
            self._close_interrupted(interface)
            run = self.create({"interface_id": interface.id, "trigger": trigger})
            clock = time.monotonic()
            interface.sudo().sync_requested = False
            if auto_commit:
                self.env.cr.commit()  # pylint: disable=invalid-commit
            state = run._sync_lists(deadline, auto_commit)
            run._finish(state, duration=time.monotonic() - clock)
            values = {"last_sync_at": fields.Datetime.now()}
            if state != "failed":
                values.update(state="connected", last_error_code=False, last_error_params=False)
            interface.sudo().write(values)
            if auto_commit:
                self.env.cr.commit()  # pylint: disable=invalid-commit
            return run

    def _sync_lists(self, deadline, auto_commit):
        """The one loop over the interface's lists: ensure them all with one read, then
        let each campaign sync its own (``utm.campaign._mailjet_sync_start`` and
        ``_mailjet_sync_finish``, in waves: ``_sync_waves``). Returns the run's final
        state."""
        self.ensure_one()
        interface = self.interface_id
        campaigns = (
            self.env["utm.campaign"]
            .sudo()
            .search(
                [("mailjet_interface_id", "=", interface.id), ("mailjet_newsletter", "=", True)],
                order="mailjet_last_sync_at asc nulls first, id",
            )
        )
        self.lists_total = len(campaigns)
        creds = interface.sudo()
        if not (creds.api_key and creds.api_secret):
            self._log("no_credentials")
            return "failed"
        try:
            with interface._gateway() as gateway:
                ensured = gateway.ensure_lists(campaigns._mailjet_wanted_lists())
                self._check_webhook(interface, gateway)
                overview = campaigns._mailjet_overview(self, gateway, ensured)
                wave = []  # started lists whose jobs wait to be polled together
                try:
                    state = self._sync_waves(
                        gateway, campaigns, ensured, overview, wave, deadline, auto_commit
                    )
                except MailjetError:
                    for sync in wave:
                        sync.keep_start()
                    raise
                self.api_calls = gateway.calls
                if state:
                    return state
        except MailjetError as error:
            # Bad credentials (or Mailjet gone while ensuring the lists): nothing half-done,
            # every list that finished is committed, the rest waits for the next run.
            self._log_error(error)
            interface._set_last_error(error)
            _logger.warning("Mailjet sync of interface %s failed: %s", interface.id, error)
            return "failed"
        return "partial" if self.errors else "done"

    def _sync_waves(self, gateway, campaigns, ensured, overview, wave, deadline, commit):
        """Start the lists one after the other and finish them in waves: the jobs of a
        wave's lists are polled together, so they share their waits. The first list is
        finished on its own (a problem shows before more lists are started), then each
        wave is twice the last, up to ``WAVE`` lists. ``wave`` holds the lists started
        and not yet finished. Commits after each start and each finish when ``commit``.
        Returns "partial" when the window ended, else None."""
        size = 1
        for done, campaign in enumerate(campaigns):
            if deadline and fields.Datetime.now() >= deadline:
                self._finish_syncs(gateway, wave, commit)
                self._log("window_ended", {"count": len(campaigns) - done})
                return "partial"
            sync = campaign._mailjet_sync_start(self, gateway, ensured[campaign.id], overview)
            if commit:
                self.env.cr.commit()  # pylint: disable=invalid-commit
            if sync is not None:
                wave.append(sync)
            if len([s for s in wave if s.pending]) >= size:
                self._finish_syncs(gateway, wave, commit)
                size = min(WAVE, size * 2)
            self.env["ir.cron"]._notify_progress(done=done + 1, remaining=len(campaigns) - done - 1)
        self._finish_syncs(gateway, wave, commit)
        return None

    def _finish_syncs(self, gateway, wave, commit):
        """Poll the submitted jobs of the started lists in ``wave`` together and finish
        each campaign (committed one by one when ``commit``); empties ``wave``."""
        syncs = list(wave)
        wave.clear()
        for _campaign in finish_campaign_syncs(self, gateway, syncs):
            if commit:
                self.env.cr.commit()  # pylint: disable=invalid-commit

    def _check_webhook(self, interface, gateway):
        """Whether Mailjet still posts unsubscribes to the webhook (one call); a
        suspended webhook is said in the run log. Its trouble never stops the run."""
        try:
            status = interface._mailjet_webhook_status(gateway)
        except MailjetError as error:
            self._log_notes([error.note()])
            return
        if interface.webhook_status != status:
            interface.sudo().webhook_status = status
        if status == "dead":
            self._log("webhook_dead")

    @api.model
    def _create_skipped(self, interface, trigger):
        run = self.create({"interface_id": interface.id, "trigger": trigger})
        run._log("another_run_running")
        run._finish("skipped")
        return run

    @api.model
    def _close_interrupted(self, interface):
        """A run still "running" while its interface's lock is free was killed mid-way."""
        for stale in self.search([("interface_id", "=", interface.id), ("state", "=", "running")]):
            last_seen = stale.write_date
            stale._log("run_interrupted")
            stale.write(
                {
                    "state": "failed",
                    "ended_at": last_seen,
                    "duration": (last_seen - stale.started_at).total_seconds(),
                }
            )

    @api.model
    def _nightly_done(self, interface, window):
        """Tonight's run of ``interface`` reached every list (errors of single contacts do
        not count: they are in the run log and retried the next night)."""
        runs = self.search(
            [
                ("interface_id", "=", interface.id),
                ("trigger", "=", "cron"),
                ("state", "in", ("done", "partial")),
                ("started_at", ">=", window[0].replace(tzinfo=None)),
            ]
        )
        return any(run.lists_done >= run.lists_total for run in runs)

    def action_open_lines(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "ems_mailjet.action_ems_mailjet_sync_run_line"
        )
        action["domain"] = [("run_id", "=", self.id)]
        return action

    def _finish(self, state, duration=None):
        """Close the run; ``duration`` in seconds (measured precisely by the caller; the
        datetime fields keep whole seconds only)."""
        self.ensure_one()
        now = fields.Datetime.now()
        if duration is None:
            duration = (now - self.started_at).total_seconds()
        self.write({"state": state, "ended_at": now, "duration": duration})

    @api.autovacuum
    def _gc_old_runs(self):
        """Drop runs older than each interface's retention, so the log stays readable."""
        for interface in self.env["ems.interface"].with_context(active_test=False).search([]):
            limit = fields.Datetime.now() - timedelta(days=interface.run_retention_days or 90)
            self.search(
                [
                    ("interface_id", "=", interface.id),
                    ("started_at", "<", limit),
                    ("state", "!=", "running"),
                ]
            ).unlink()
