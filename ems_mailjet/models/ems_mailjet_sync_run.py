import logging
import time
from contextlib import ExitStack, contextmanager
from datetime import timedelta

from odoo import Command, api, fields, models
from odoo.tools import SQL

from ..services.errors import MailjetError
from .advisory_lock import try_advisory_lock
from .campaign_sync import finish_campaign_syncs, poll_campaign_syncs

_logger = logging.getLogger(__name__)

# pg advisory lock namespaces (README "Two workers"), all session-level, so each dies with
# the connection of a crashed process:
# "EMSM", per interface: a single run holds it alone (a second one is skipped); the
# parallel workers of a night share it (so a manual run waits for the next cron wake-up).
_LOCK_CLASS = 0x454D534D
# Lists started before their jobs are polled together: one wait per wave, not per list,
# served while the next wave is started. Each started list keeps its participants in
# memory (and its claim) until it is finished: two waves at most.
WAVE = 10
# "EMSS", per interface: what must not run twice at once (ensuring the lists in Mailjet,
# the webhook check, writing the interface); a worker waits for another's.
_SETUP_LOCK = 0x454D5353
# "EMSR", per run: held while the run runs; a "running" run whose lock is free was killed.
_RUN_LOCK = 0x454D5352
# "EMSL", per campaign: the run syncing that list; another worker skips it.
_LIST_LOCK = 0x454D534C
# How long a worker waits for another worker's setup of the same interface (seconds).
SETUP_WAIT_S = 600

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
    lists_elsewhere = fields.Integer(
        string="Lists of other runs",
        readonly=True,
        help="Lists this run left alone because another run of the same night had "
        "synchronised them already or was synchronising them (parallel sync workers).",
    )
    campaign_ids = fields.Many2many(
        "utm.campaign",
        "ems_mailjet_sync_run_campaign_rel",
        "run_id",
        "campaign_id",
        string="Lists of this run",
        readonly=True,
    )
    worker = fields.Integer(
        readonly=True,
        help="Which of the interface's parallel sync workers ran this nightly run (empty "
        "when one run syncs every list).",
    )
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
            values["campaign_ids"] = [Command.link(campaign.id)]
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
    def _execute(self, interface, trigger, deadline=None, auto_commit=False, window=None, worker=0):
        """One synchronisation of ``interface``; returns its run (or no run: a parallel
        worker that found nothing left to do). Commits after each list when ``auto_commit``
        (cron), so a crash or the window's end loses nothing that was done; the next run
        resumes with the lists that were not reached (oldest first).

        ``window``: tonight's sync window (nightly runs): a list that a nightly run of
        tonight synchronised is not synchronised again. ``worker``: the number of the cron
        worker; when the interface has several, the workers share the interface and each
        claims list after list (README "Two workers")."""
        parallel = bool(worker) and interface.sync_workers > 1
        cr = self.env.cr
        with try_advisory_lock(cr, _LOCK_CLASS, interface.id, shared=parallel) as locked:
            if not locked:
                if worker > 1:
                    return self.browse()  # a manual run has the interface: worker 1 says so
                return self._create_skipped(interface, trigger)
            self._close_interrupted(interface)
            run = self.create(
                {"interface_id": interface.id, "trigger": trigger, "worker": parallel and worker}
            )
            # held before the run is visible to others, so it is never taken for a dead one
            with try_advisory_lock(cr, _RUN_LOCK, run.id):
                clock = time.monotonic()
                if not parallel:
                    interface.sudo().sync_requested = False
                if auto_commit:
                    cr.commit()  # pylint: disable=invalid-commit
                since = window[0].replace(tzinfo=None) if window else None
                state = run._sync_lists(deadline, auto_commit, since=since, parallel=parallel)
                if parallel and state != "failed" and not run.lists_done and not run.line_ids:
                    # the other workers had every list: nothing for the runs screen
                    run.unlink()
                    if auto_commit:
                        cr.commit()  # pylint: disable=invalid-commit
                    return self.browse()
                run._finish(state, duration=time.monotonic() - clock)
                values = {"last_sync_at": fields.Datetime.now()}
                if state != "failed":
                    values.update(state="connected", last_error_code=False, last_error_params=False)
                with run._setup_lock(parallel, auto_commit):
                    interface.sudo().write(values)
                if auto_commit:
                    cr.commit()  # pylint: disable=invalid-commit
                return run

    @contextmanager
    def _setup_lock(self, parallel, auto_commit):
        """For the parallel workers of one interface: one at a time (waiting for the
        other), on a snapshot that sees what the other committed. A single run has the
        interface to itself already."""
        if not parallel:
            yield True
            return
        cr = self.env.cr
        interface = self.interface_id
        with try_advisory_lock(cr, _SETUP_LOCK, interface.id, wait=SETUP_WAIT_S) as locked:
            if locked and auto_commit:
                cr.commit()  # pylint: disable=invalid-commit
                self.env.invalidate_all()
            yield locked
            if locked and auto_commit:
                cr.commit()  # pylint: disable=invalid-commit

    def _sync_lists(self, deadline, auto_commit, since=None, parallel=False):
        """The one loop over the interface's lists: ensure them all with one read, then
        let each campaign sync its own (``utm.campaign._mailjet_sync_start`` and
        ``_mailjet_sync_finish``, in waves: ``_sync_waves``), claiming each list first
        (``_claim``). Returns the run's final state."""
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
                with self._setup_lock(parallel, auto_commit) as ready:
                    if not ready:  # another worker is stuck in it: leave tonight to it
                        self._log("another_run_running")
                        return "skipped"
                    ensured = gateway.ensure_lists(campaigns._mailjet_wanted_lists())
                    if not (parallel and self._another_run_since(since)):
                        self._check_webhook(interface, gateway)
                overview = campaigns._mailjet_overview(self, gateway, ensured)
                state = self._sync_waves(
                    gateway, campaigns, ensured, overview, deadline, auto_commit, since
                )
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

    def _sync_waves(self, gateway, campaigns, ensured, overview, deadline, commit, since):
        """Claim and start the lists one after the other and finish them in waves: the
        jobs of a wave's lists are polled together, so they share their waits. The first
        list is finished on its own (a problem shows before more lists are started), then
        each wave is twice the last, up to ``WAVE`` lists; a wave's jobs are polled once
        when it is full and finished when the next one is: the next wave's starts are
        their wait. A list held by another worker is skipped and tried once more at the
        end; one that a nightly run of tonight (since ``since``) synchronised already is
        left alone. Commits after each start and each finish when ``commit``. Returns
        "partial" when the window ended, else None."""
        wave = []  # started lists (and their claims) whose jobs wait to be polled
        try:
            return self._sync_in_waves(
                gateway, campaigns, ensured, overview, deadline, commit, since, wave
            )
        except MailjetError:
            for sync in wave:
                sync.keep_start()
            raise
        finally:
            for sync in wave:
                sync.release()

    def _sync_in_waves(self, gateway, campaigns, ensured, overview, deadline, commit, since, wave):
        cron = self.env["ir.cron"]
        size = 1
        pending, done = campaigns, 0
        while pending:
            held = campaigns.browse()
            for index, campaign in enumerate(pending):
                if deadline and fields.Datetime.now() >= deadline:
                    self._finish_syncs(gateway, wave, commit)
                    self._log("window_ended", {"count": len(pending) - index + len(held)})
                    return "partial"
                claim = self._claim(campaign, since, commit)
                if claim is None:
                    held |= campaign
                    continue
                if claim is not False:
                    try:
                        sync = self._start_claimed(campaign, gateway, ensured, overview, commit)
                    except BaseException:
                        claim.close()
                        raise
                    if sync is None:
                        claim.close()
                    else:
                        sync.claim = claim
                        wave.append(sync)
                    if sum(1 for s in wave if s.pending and not s.polled) >= size:
                        if size == 1:
                            self._finish_syncs(gateway, wave, commit)
                        else:
                            # the previous wave's jobs were polled once when it was
                            # full: starting this wave was their wait
                            self._finish_syncs(gateway, wave, commit, polled=True)
                            poll_campaign_syncs(gateway, wave)
                        size = min(WAVE, size * 2)
                done += 1
                cron._notify_progress(done=done, remaining=len(campaigns) - done)
            if len(held) == len(pending) or not since:
                # still being synchronised by another worker: that one finishes them
                self.lists_elsewhere += len(held)
                cron._notify_progress(done=done, remaining=0)
                break
            pending = held  # a worker that crashed meanwhile left its list free
        self._finish_syncs(gateway, wave, commit)
        return None

    def _claim(self, campaign, since, commit):
        """Claim ``campaign``'s list for this run: an ``ExitStack`` holding the claim (to be
        closed once the list is finished and committed), None when another run holds it
        (skipped, not waited for), False when a nightly run of tonight (since ``since``)
        synchronised it already. A claim dies with the connection of a crashed process."""
        stack = ExitStack()
        if not stack.enter_context(try_advisory_lock(self.env.cr, _LIST_LOCK, campaign.id)):
            stack.close()
            return None
        try:
            if commit:
                # a fresh snapshot: what the last holder of the claim committed
                self.env.cr.commit()  # pylint: disable=invalid-commit
            if since and self._list_done_since(campaign, since):
                self.lists_elsewhere += 1
                stack.close()
                return False
        except BaseException:
            stack.close()
            raise
        return stack

    def _start_claimed(self, campaign, gateway, ensured, overview, commit):
        """``utm.campaign._mailjet_sync_start`` of a claimed list (committed when
        ``commit``)."""
        if self.worker:
            campaign.invalidate_recordset()
            if campaign.mailjet_last_sync_at and campaign.mailjet_last_sync_at >= (self.started_at):
                # another worker got this far with it after this run read the overview
                overview = None
        sync = campaign._mailjet_sync_start(self, gateway, ensured[campaign.id], overview)
        if commit:
            self.env.cr.commit()  # pylint: disable=invalid-commit
        return sync

    def _finish_syncs(self, gateway, wave, commit, polled=False):
        """Poll the submitted jobs of the started lists in ``wave`` together, finish each
        campaign (committed one by one when ``commit``) and release its claim; takes them
        out of ``wave`` as they are finished. ``polled``: only those polled once before
        (``poll_campaign_syncs``). Without it, all: those polled before first."""
        if not polled and any(s.polled for s in wave):
            self._finish_syncs(gateway, wave, commit, polled=True)
        for sync in finish_campaign_syncs(
            self, gateway, [s for s in wave if s.polled or not polled]
        ):
            if commit:
                self.env.cr.commit()  # pylint: disable=invalid-commit
            sync.release()
            wave.remove(sync)

    def _list_done_since(self, campaign, since):
        """Whether another nightly run of this interface synchronised ``campaign``'s list
        since ``since`` (tonight's window opened)."""
        self.env.cr.execute(
            SQL(
                """SELECT 1 FROM ems_mailjet_sync_run_campaign_rel rel
                     JOIN ems_mailjet_sync_run run ON run.id = rel.run_id
                    WHERE rel.campaign_id = %s AND run.interface_id = %s AND run.id != %s
                      AND run.trigger = 'cron' AND run.started_at >= %s
                    LIMIT 1""",
                campaign.id,
                self.interface_id.id,
                self.id,
                since,
            )
        )
        return bool(self.env.cr.fetchone())

    def _another_run_since(self, since):
        """Whether another nightly run of this interface started since ``since``."""
        if not since:
            return False
        return bool(
            self.search_count(
                [
                    ("interface_id", "=", self.interface_id.id),
                    ("trigger", "=", "cron"),
                    ("started_at", ">=", since),
                    ("id", "!=", self.id),
                    ("state", "!=", "skipped"),
                ],
                limit=1,
            )
        )

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
        """A run still "running" while its own lock is free was killed mid-way."""
        for stale in self.search([("interface_id", "=", interface.id), ("state", "=", "running")]):
            with try_advisory_lock(self.env.cr, _RUN_LOCK, stale.id) as dead:
                if not dead:
                    continue  # another worker's run, alive
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
        """Tonight's nightly runs of ``interface`` (one, or one per parallel worker)
        reached every list between them (errors of single contacts do not count: they
        are in the run log and retried the next night)."""
        runs = self.search(
            [
                ("interface_id", "=", interface.id),
                ("trigger", "=", "cron"),
                ("state", "!=", "skipped"),
                ("started_at", ">=", window[0].replace(tzinfo=None)),
            ]
        )
        if not runs:
            return False
        campaigns = (
            self.env["utm.campaign"]
            .sudo()
            .search(
                [("mailjet_interface_id", "=", interface.id), ("mailjet_newsletter", "=", True)]
            )
        )
        return not (campaigns - runs.campaign_ids)

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
