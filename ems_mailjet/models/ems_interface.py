import logging
import threading
from urllib.parse import urlsplit

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from odoo.addons.base.models.res_partner import _lang_get, _tz_get

from ..services.errors import MailjetError, MailjetUnavailable
from ..services.gateway import MailjetGateway, RetryPolicy
from ..services.window import current_window, next_window_start
from .ems_mailjet_messages import render
from .ems_mailjet_property import DEFAULTS as DEFAULT_PROPERTIES

_logger = logging.getLogger(__name__)

CRON_XMLID = "ems_mailjet.ir_cron_mailjet_sync"
# The crons of parallel sync workers 2, 3, …: ems_mailjet.ir_cron_mailjet_sync_worker_<n>
WORKER_CRON_NAME = "ir_cron_mailjet_sync_worker_%s"
MAX_SYNC_WORKERS = 8

MAILJET_API_URL = "https://api.mailjet.com/"
# mailjet-rest itself refuses any other host (utils/guardrails.validate_config_url);
# we check first so that the admin gets a clear message at save time.
_LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1"}
# Credentials: never grouped, searched, sorted or exported, not even by an administrator
# (a group header or a filter would show or test the value).
_SECRET_FIELDS = {
    "api_secret",
    "api_secret_input",
    "webhook_password",
    "webhook_token",
    "webhook_user",
    "webhook_url",
}
# "Test connection" answers at once: one attempt, 3 s to connect, 7 s to answer.
TEST_CONNECTION_TIMEOUT = (3.0, 7.0)


class EmsInterface(models.Model):
    """A connection to an external system; today only Mailjet."""

    _name = "ems.interface"
    _description = "Interface to an external system"
    _inherit = ["mail.thread", "ems.secret.fields.mixin", "ems.mailjet.webhook.mixin"]
    _order = "sequence, name, id"
    _secret_fields = _SECRET_FIELDS

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
    # stored secret never travels back to a browser.
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
        required=True,
        default=lambda self: self.env.company,
        tracking=True,
    )
    lang = fields.Selection(
        _lang_get,
        string="Language",
        required=True,
        default=lambda self: self.env.company.partner_id.lang or self.env.lang or "en_US",
        help="Mailjet list names are the campaign names in this language, whoever edits "
        "them and in whatever language the synchronisation runs.",
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
    sync_workers = fields.Integer(
        string="Parallel sync workers",
        default=1,
        help="How many of Odoo's cron workers share the nightly synchronisation of this "
        "interface, list by list (each list is synchronised by one of them only). More than "
        "one helps when the lists do not fit into the window and the Odoo servers run "
        "several cron workers (--max-cron-threads); one scheduled action per worker.",
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
    last_sync_at = fields.Datetime(
        string="Last sync attempt",
        readonly=True,
        copy=False,
        help="When the last synchronisation ended, successful or not: its result is under "
        "Runs, an error also under Last error.",
    )
    # The last problem, kept as a code (rendered in the reader's language) or as a text
    # written by a button in its user's language.
    last_error = fields.Text(
        readonly=True, copy=False, compute="_compute_last_error", inverse="_inverse_last_error"
    )
    last_error_code = fields.Char(readonly=True, copy=False)
    last_error_params = fields.Json(readonly=True, copy=False)
    campaign_ids = fields.One2many(
        "utm.campaign", "mailjet_interface_id", string="Newsletter campaigns"
    )
    campaign_count = fields.Integer(compute="_compute_campaign_count")
    run_ids = fields.One2many("ems.mailjet.sync.run", "interface_id", string="Runs")
    run_retention_days = fields.Integer(
        string="Keep run logs (days)",
        default=90,
        help="Synchronisation runs older than this are deleted by the nightly clean-up.",
    )
    sync_requested = fields.Boolean(
        readonly=True,
        copy=False,
        help="A synchronisation was asked for (saved credentials, Sync now) and runs at "
        "once, outside the nightly window.",
    )
    sync_requested_trigger = fields.Selection(
        selection=[("save", "Saved credentials"), ("manual", "Manual")],
        string="Requested by",
        readonly=True,
        copy=False,
        help="What asked for the queued synchronisation; its run is logged with it.",
    )
    property_ids = fields.One2many(
        "ems.mailjet.property",
        "interface_id",
        string="Contact properties",
        help="Values pushed with each contact, for personalised newsletters ([[data:firstname]]).",
    )
    # Whether spam complaints and hard bounces also go on Odoo's own blacklist.
    blacklist_spam = fields.Boolean(
        string="Blacklist spam complaints",
        default=True,
        help="An address whose owner reported a newsletter as spam is also put on Odoo's "
        "blacklist, so that no e-mail marketing from Odoo reaches it either.",
    )
    blacklist_hard_bounce = fields.Boolean(
        string="Blacklist hard bounces",
        help="An address Mailjet reports as permanently undeliverable is also put on "
        "Odoo's blacklist.",
    )

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
        (
            "sync_workers_range",
            f"CHECK(sync_workers >= 1 AND sync_workers <= {MAX_SYNC_WORKERS})",
            "Between 1 and 8 parallel sync workers.",
        ),
    ]

    @api.depends("last_error_code", "last_error_params")
    @api.depends_context("lang")
    def _compute_last_error(self):
        for interface in self:
            params = interface.last_error_params or {}
            if interface.last_error_code:
                interface.last_error = render(self.env, interface.last_error_code, params)
            else:
                interface.last_error = params.get("text") or False

    def _inverse_last_error(self):
        for interface in self:
            text = interface.last_error
            interface.last_error_code = False
            interface.last_error_params = {"text": text} if text else False

    def _set_last_error(self, error):
        """Mark the interface failed with a Mailjet error (``services.errors``)."""
        self.sudo().write(
            {"state": "error", "last_error_code": error.code, "last_error_params": error.params}
        )

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

    @api.model_create_multi
    def create(self, vals_list):
        interfaces = super().create(vals_list)
        interfaces.filtered(lambda i: not i.property_ids)._add_default_properties()
        interfaces.filtered(lambda i: i.sudo().api_key and i.sudo().api_secret)._request_sync()
        if any(i.sync_workers > 1 for i in interfaces):
            self._keep_worker_crons()
        return interfaces

    def write(self, vals):
        result = super().write(vals)
        if {"sync_workers", "active", "interface_type"} & set(vals):
            self._keep_worker_crons()
        if {"api_key", "api_secret", "api_secret_input", "api_url"} & set(vals):
            self.filtered(lambda i: i.sudo().api_key and i.sudo().api_secret)._request_sync()
        return result

    def _add_default_properties(self):
        """First name, last name, company, language and customer number."""
        self.env["ems.mailjet.property"].create(
            [
                {"interface_id": interface.id, "name": name, "datatype": kind, "source": source}
                for interface in self
                for name, kind, source in DEFAULT_PROPERTIES
            ]
        )

    def _request_sync(self, trigger="save"):
        """Saving credentials starts a sync: queued on the cron, returns at once."""
        if not self:
            return
        super(EmsInterface, self.sudo()).write(
            {"sync_requested": True, "sync_requested_trigger": trigger}
        )
        self.env.ref(CRON_XMLID).sudo()._trigger()

    def action_open_campaigns(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("ems_mailjet.action_ems_campaign")
        action["domain"] = [("mailjet_interface_id", "=", self.id)]
        return action

    def action_open_runs(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "ems_mailjet.action_ems_mailjet_sync_run"
        )
        action["domain"] = [("interface_id", "=", self.id)]
        action["context"] = {"ems_single_interface": True}
        return action

    # ------------------------------------------------------------------ Mailjet
    def _gateway(self, **options):
        """A gateway for this interface; the secret goes to the client and nowhere else.
        ``options`` (timeout, retry) are defaults that ``_gateway_options`` overrides."""
        self.ensure_one()
        creds = self.sudo()
        if not (creds.api_key and creds.api_secret):
            raise UserError(self.env._("Enter the API key and the API password first."))
        options.update(self._gateway_options())
        return MailjetGateway(creds.api_key, creds.api_secret, api_url=creds.api_url, **options)

    def _gateway_options(self):
        """Extra ``MailjetGateway`` arguments (retry and polling pace); tests shorten them."""
        return {}

    def _error_text(self, error):
        """A Mailjet problem in the user's words (never containing the secret)."""
        return render(self.env, error.code, error.params)

    def _quick_gateway(self):
        """For a button a user waits on: one attempt with a short timeout."""
        return self._gateway(timeout=TEST_CONNECTION_TIMEOUT, retry=RetryPolicy(attempts=1))

    def _quick_error_text(self, error):
        if isinstance(error, MailjetUnavailable):
            return self.env._(
                "Mailjet could not be reached or did not answer within %(seconds)s seconds. "
                "Check the API URL and the network, then try again.",
                seconds=int(sum(TEST_CONNECTION_TIMEOUT)),
            )
        return self._error_text(error)

    def action_test_connection(self):
        """One quick attempt whose answer is only shown: it writes nothing on the
        interface, so it never waits for (or collides with) a synchronisation that is
        writing the same record in the background."""
        self.ensure_one()
        try:
            with self._quick_gateway() as gateway:
                gateway.check_credentials()
        except MailjetError as error:
            return self._notify(self._quick_error_text(error), "danger")
        return self._notify(self.env._("Mailjet accepted the API key and password."), "success")

    def action_sync_now(self):
        self._request_sync(trigger="manual")
        return self._notify(
            self.env._(
                "The synchronisation has started in the background; its result appears under Runs."
            ),
            "info",
        )

    def _notify(self, message, kind):
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "message": message,
                "type": kind,
                "sticky": kind == "danger",
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    def _sync_now(self, trigger="manual"):
        """One full synchronisation, now, whatever the window; returns its run record."""
        self.ensure_one()
        return self._run_sync(trigger=trigger)

    @api.model
    def _cron_sync(self, worker=1):
        """Sync each interface inside its nightly window; queued syncs at once. ``worker``:
        which scheduled action runs this (1: the main one, which also runs the queued
        syncs; 2, 3, …: the helpers of interfaces with parallel sync workers)."""
        now = fields.Datetime.now()
        interfaces = self.search([("interface_type", "=", "mailjet")])
        runs = self.env["ems.mailjet.sync.run"]
        for interface in interfaces:
            creds = interface.sudo()
            if not (creds.api_key and creds.api_secret):
                continue
            if interface.sync_requested:
                if worker == 1:
                    trigger = interface.sync_requested_trigger or "save"
                    interface._run_sync(trigger=trigger, auto_commit=True)
                continue
            if worker > interface.sync_workers:
                continue
            window = current_window(
                now, interface.tz, interface.sync_window_start, interface.sync_window_minutes
            )
            if window and not runs._nightly_done(interface, window):
                deadline = window[1].replace(tzinfo=None)
                interface._run_sync(
                    trigger="cron",
                    deadline=deadline,
                    auto_commit=True,
                    window=window,
                    worker=worker,
                )
        if worker == 1:
            interfaces._schedule_next_window()

    def _schedule_next_window(self):
        now = fields.Datetime.now()
        starts = [
            next_window_start(now, i.tz, i.sync_window_start, i.sync_window_minutes) for i in self
        ]
        if starts:
            at = min(starts).replace(tzinfo=None)
            for cron in self._worker_crons().values():
                if cron.active:
                    cron._trigger(at=at)

    @api.model
    def _worker_crons(self):
        """Worker number → its scheduled action (1: the main one), archived ones too."""
        main = self.env.ref(CRON_XMLID).sudo()
        data = (
            self.env["ir.model.data"]
            .sudo()
            .search(
                [
                    ("module", "=", "ems_mailjet"),
                    ("model", "=", "ir.cron"),
                    ("name", "=like", WORKER_CRON_NAME % "%"),
                ]
            )
        )
        crons = {int(d.name.rsplit("_", 1)[1]): main.browse(d.res_id) for d in data}
        crons = {number: cron for number, cron in crons.items() if cron.exists()}
        return {1: main, **crons}

    @api.model
    def _keep_worker_crons(self):
        """One scheduled action per parallel sync worker (the most any active Mailjet
        interface asks for): Odoo's cron runs one scheduled action in one worker at a
        time, so each worker needs its own. Unneeded ones are archived."""
        interfaces = self.sudo().search([("interface_type", "=", "mailjet")])
        wanted = max(interfaces.mapped("sync_workers") or [1])
        crons = self._worker_crons()
        main = crons[1]
        for number in range(2, max(wanted, *crons) + 1):
            cron = crons.get(number)
            if number <= wanted and not cron:
                cron = main.copy(
                    {
                        "name": self.env._(
                            "Mailjet: nightly synchronisation, worker %(number)s", number=number
                        ),
                        "code": f"model._cron_sync(worker={number})",
                        "active": True,
                    }
                )
                self.env["ir.model.data"].sudo().create(
                    {
                        "module": "ems_mailjet",
                        "name": WORKER_CRON_NAME % number,
                        "model": "ir.cron",
                        "res_id": cron.id,
                        "noupdate": True,
                    }
                )
            elif cron and cron.active != (number <= wanted):
                # never waits for a worker that is running: it then stays until next time
                cron.try_write({"active": number <= wanted})
            if cron:
                self._name_worker_cron(cron, number)

    def _name_worker_cron(self, cron, number):
        """The worker's scheduled action named in every installed language (a record made
        here gets no translation from the module's files), also for a language installed
        after it was made."""
        for code, _label in self.env["res.lang"].get_installed():
            name = self.with_context(lang=code).env._(
                "Mailjet: nightly synchronisation, worker %(number)s", number=number
            )
            translated = cron.with_context(lang=code)
            if translated.name != name:
                translated.try_write({"name": name})

    def _run_sync(self, trigger="manual", deadline=None, auto_commit=False, window=None, worker=0):
        """Sync every newsletter campaign of this interface now and return the run; see
        ``ems.mailjet.sync.run._execute`` and README "How the sync decides"."""
        self.ensure_one()
        auto_commit = auto_commit and not getattr(threading.current_thread(), "testing", False)
        runs = self.env["ems.mailjet.sync.run"].sudo()
        return runs._execute(
            self, trigger, deadline=deadline, auto_commit=auto_commit, window=window, worker=worker
        )

    # ------------------------------------------------------------------ preview
    def _sync_preview(self, campaigns=None):
        """What a synchronisation would do now, per campaign id, without doing it (see
        ``ems.mailjet.sync.preview._plan``). Writes nothing in the ERP or in Mailjet."""
        self.ensure_one()
        return self.env["ems.mailjet.sync.preview"]._plan(self, campaigns)

    def action_sync_preview(self, campaigns=None):
        """Show what the next synchronisation would do (a dialog; nothing is changed)."""
        self.ensure_one()
        try:
            result = self._sync_preview(campaigns=campaigns)
        except MailjetError as error:
            raise UserError(self._error_text(error)) from None
        preview = self.env["ems.mailjet.sync.preview"]._from_result(self, result)
        return preview._action_open()

    @api.model
    def _default_for_company(self, company):
        """The active Mailjet interface that newsletter campaigns of ``company`` use."""
        return self.sudo().search(
            [("interface_type", "=", "mailjet"), ("company_id", "=", company.id)],
            limit=1,
        )
