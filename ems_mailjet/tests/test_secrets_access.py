"""Secrets and access (issue 4; D8 and the company rules).

* The API secret is unreadable for anybody but a system administrator, through every door
  a browser or an RPC client has: ``read``, ``search_read``, ``web_read``,
  ``web_search_read``, ``read_group``, ``export_data`` (and ``/web/export/csv``),
  ``onchange``, a search domain used as an oracle, and the same through the relations
  that lead to an interface (campaign, participant, run), all over JSON-RPC ``call_kw``.
  Administrators can read it on the interface (that is how they maintain it), but no
  export, not even one starting from a campaign or a run, carries it.
* The secret never appears in any log record of a full sync, failures included: every
  record of every logger is captured at DEBUG, and so are the run logs, the interface's
  error and its chatter.
* The webhook refuses wrong credentials and unknown tokens.
* A user of company A sees nothing of company B's interfaces, campaigns, participants and
  runs.

``test_security.py`` and ``test_webhook.py`` already test the plain ORM reads of the
secret by a campaign user, the direct export and the usual wrong webhook credentials;
what is re-tested here on purpose is named after the issue's wording.
"""

import base64
import json
import logging
from contextlib import contextmanager
from unittest.mock import patch
from urllib.parse import quote

from odoo import Command, http
from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, tagged
from odoo.tests import common as odoo_test_common
from odoo.tools import mute_logger

from odoo.addons.ems_mailjet.services.gateway import JobPolling, RetryPolicy

from .common_sandbox import KEY, SandboxProcess

SECRET = "s3cr3t-Mailjet-API-password"
SECRET_B = "s3cr3t-of-Company-B"
WRONG_SECRET = "wr0ng-Mailjet-API-password"
FAST = {
    "retry": RetryPolicy(attempts=3, initial_wait=0.01, max_wait=0.05, jitter=0.0),
    "polling": JobPolling(initial_wait=0.01, max_wait=0.05, max_polls=50, timeout=30),
    "timeout": (2.0, 0.5),
}
DENIED = (
    "odoo.http",
    "odoo.models",
    "odoo.addons.base.models.ir_model",
    "odoo.addons.base.models.ir_rule",
)


@tagged("post_install", "-at_install", "ems_mailjet")
class TestSecretsAccess(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.sandbox = SandboxProcess(api_key=KEY, api_secret=SECRET).start()
        cls.addClassCleanup(cls.sandbox.stop)
        interface_class = type(cls.env["ems.interface"])
        cls.startClassPatcher(patch.object(interface_class, "_gateway_options", lambda self: FAST))
        cls.company_a = cls.env.company
        cls.company_b = cls.env["res.company"].create({"name": "Company B (secrets test)"})

        interfaces = cls.env["ems.interface"]
        cls.interface = interfaces.create(
            {
                "name": "Mailjet A",
                "api_key": KEY,
                "api_secret": SECRET,
                "api_url": cls.sandbox.url,
                "company_id": cls.company_a.id,
            }
        )
        cls.interface_b = interfaces.create(
            {
                "name": "Mailjet B",
                "api_key": "key-of-b",
                "api_secret": SECRET_B,
                "api_url": "http://127.0.0.1:9/",
                "company_id": cls.company_b.id,
            }
        )
        campaigns = cls.env["utm.campaign"]
        cls.campaign = campaigns.create(
            {
                "title": "Newsletter A",
                "mailjet_newsletter": True,
                "mailjet_interface_id": cls.interface.id,
                "company_id": cls.company_a.id,
            }
        )
        cls.campaign_b = campaigns.create(
            {
                "title": "Newsletter B",
                "mailjet_newsletter": True,
                "mailjet_interface_id": cls.interface_b.id,
                "company_id": cls.company_b.id,
                "mailjet_list_id": "101",
            }
        )
        people = cls.env["ems.campaign.participant"]
        cls.person = people.create({"campaign_id": cls.campaign.id, "email": "a@example.com"})
        cls.person_b = people.create(
            {"campaign_id": cls.campaign_b.id, "email": "b@example.com", "name": "Person of B"}
        )
        runs = cls.env["ems.mailjet.sync.run"]
        cls.run_a = runs.create({"interface_id": cls.interface.id, "state": "done"})
        cls.run_b = runs.create({"interface_id": cls.interface_b.id, "state": "done"})

        def user(login, *groups, company=None):
            company = company or cls.company_a
            return (
                cls.env["res.users"]
                .with_context(no_reset_password=True)
                .create(
                    {
                        "name": login,
                        "login": login,
                        "password": login,
                        "email": f"{login}@example.com",
                        "company_id": company.id,
                        "company_ids": [Command.set([company.id])],
                        "groups_id": [Command.set([cls.env.ref(g).id for g in groups])],
                    }
                )
            )

        cls.campaign_user = user(
            "sec_campaign_user", "ems_mailjet.group_campaign_user", "base.group_allow_export"
        )
        cls.campaign_manager = user(
            "sec_campaign_manager", "ems_mailjet.group_campaign_manager", "base.group_allow_export"
        )
        cls.admin_a = user("sec_admin_a", "base.group_system", "ems_mailjet.group_campaign_manager")
        cls.non_admins = cls.campaign_user | cls.campaign_manager

    @classmethod
    def _request_handler(cls, s, r, /, **kw):
        """Keep the gateway's short timeout for calls to the sandbox (Odoo's test
        framework would raise it to 10 s)."""
        sandbox = getattr(cls, "sandbox", None)
        if sandbox and sandbox.url and r.url.startswith(sandbox.url):
            return odoo_test_common._super_send(s, r, **kw)
        return super()._request_handler(s, r, **kw)

    def setUp(self):
        super().setUp()
        self.sandbox.reset()

    # ------------------------------------------------------------------ helpers
    def call_kw(self, model, method, args, kwargs=None):
        """One JSON-RPC ``call_kw`` as the authenticated user: (decoded answer, raw text)."""
        payload = {
            "jsonrpc": "2.0",
            "method": "call",
            "id": 1,
            "params": {
                "model": model,
                "method": method,
                "args": args,
                "kwargs": kwargs or {},
            },
        }
        with mute_logger(*DENIED):
            response = self.url_open(
                f"/web/dataset/call_kw/{model}/{method}",
                data=json.dumps(payload),
                headers={"Content-Type": "application/json"},
            )
        self.assertEqual(response.status_code, 200)
        return response.json(), response.text

    def secrets(self):
        return (
            SECRET,
            SECRET_B,
            quote(SECRET),
            base64.b64encode(f"{KEY}:{SECRET}".encode()).decode(),
            self.interface.webhook_password,
            self.interface_b.webhook_password,
        )

    def assert_no_secret(self, text, where):
        for secret in self.secrets():
            self.assertNotIn(secret, text or "", where)

    # ------------------------------------------------------------------ the API secret
    def rpc_doors(self):
        """Every call_kw a browser could send to reach the secret: (model, method, args,
        kwargs, refused). Onchanges that do not change the path to the interface answer
        (``{"value": {}}``) and must not hold the secret; every other door is refused."""
        interface, campaign, person, run = (
            self.interface.id,
            self.campaign.id,
            self.person.id,
            self.run_a.id,
        )
        deep = {"fields": {"api_secret": {}}}
        via_campaign = {"campaign_id": {"fields": {"mailjet_interface_id": deep}}}
        return [
            ("ems.interface", "read", [[interface], ["api_secret"]], {}, True),
            ("ems.interface", "search_read", [[], ["name", "api_secret"]], {}, True),
            (
                "ems.interface",
                "web_read",
                [[interface]],
                {"specification": {"api_secret": {}}},
                True,
            ),
            ("ems.interface", "web_search_read", [[]], {"specification": {"api_secret": {}}}, True),
            ("ems.interface", "read_group", [[], ["api_secret:array_agg"], ["name"]], {}, True),
            ("ems.interface", "read_group", [[], ["name:count"], ["api_secret"]], {}, True),
            ("ems.interface", "web_read_group", [[], ["api_secret:array_agg"], ["name"]], {}, True),
            ("ems.interface", "export_data", [[interface], ["name", "api_secret"]], {}, True),
            ("ems.interface", "onchange", [[interface], {}, [], {"api_secret": {}}], {}, True),
            (
                "ems.interface",
                "onchange",
                [[interface], {"name": "x"}, ["name"], {"name": {}, "api_secret": {}}],
                {},
                True,
            ),
            (
                "ems.interface",
                "onchange",
                [[], {}, [], {"name": {}, "api_secret": {}, "webhook_password": {}}],
                {},
                False,
            ),
            ("ems.interface", "search_count", [[("api_secret", "=", SECRET)]], {}, True),
            ("ems.interface", "name_search", [], {"name": SECRET}, True),
            (
                "utm.campaign",
                "web_read",
                [[campaign]],
                {"specification": {"title": {}, "mailjet_interface_id": deep}},
                True,
            ),
            (
                "utm.campaign",
                "web_search_read",
                [[("mailjet_interface_id.api_secret", "=", SECRET)]],
                {"specification": {"title": {}}},
                True,
            ),
            (
                "utm.campaign",
                "read_group",
                [[], ["title:count"], ["mailjet_interface_id"]],
                {},
                True,
            ),
            (
                "utm.campaign",
                "export_data",
                [[campaign], ["title", "mailjet_interface_id/api_secret"]],
                {},
                True,
            ),
            (
                "utm.campaign",
                "onchange",
                [
                    [campaign],
                    {"mailjet_newsletter": True},
                    ["mailjet_newsletter"],
                    {"mailjet_newsletter": {}, "mailjet_interface_id": deep},
                ],
                {},
                True,
            ),
            (
                "utm.campaign",
                "onchange",
                [
                    [],
                    {"title": "New", "mailjet_newsletter": True},
                    [],
                    {"title": {}, "mailjet_newsletter": {}, "mailjet_interface_id": deep},
                ],
                {},
                False,
            ),
            (
                "ems.campaign.participant",
                "web_search_read",
                [[]],
                {"specification": {"email": {}, **via_campaign}},
                True,
            ),
            (
                "ems.campaign.participant",
                "search_count",
                [[("campaign_id.mailjet_interface_id.api_secret", "like", "s3cr3t")]],
                {},
                True,
            ),
            (
                "ems.campaign.participant",
                "export_data",
                [[person], ["email", "campaign_id/mailjet_interface_id/api_secret"]],
                {},
                True,
            ),
            (
                "ems.campaign.participant",
                "onchange",
                [[person], {"email": "x@example.com"}, ["email"], via_campaign],
                {},
                False,
            ),
            (
                "ems.campaign.participant",
                "onchange",
                [[], {"campaign_id": campaign}, [], via_campaign],
                {},
                False,
            ),
            (
                "ems.campaign.participant",
                "onchange",
                [[], {"campaign_id": campaign}, ["campaign_id"], via_campaign],
                {},
                False,
            ),
            (
                "ems.mailjet.sync.run",
                "web_read",
                [[run]],
                {"specification": {"interface_id": deep}},
                True,
            ),
            ("ems.mailjet.sync.run", "export_data", [[run], ["interface_id/api_secret"]], {}, True),
        ]

    def test_D8_api_secret_unreadable_for_non_admins_through_json_rpc_call_kw(self):
        for user in self.non_admins:
            self.authenticate(user.login, user.login)
            for model, method, args, kwargs, refused in self.rpc_doors():
                with self.subTest(user=user.login, model=model, method=method, args=args):
                    answer, text = self.call_kw(model, method, args, kwargs)
                    self.assert_no_secret(text, f"{model}.{method}")
                    if refused:
                        self.assertIn("error", answer, f"{model}.{method} must be refused")
                        self.assertEqual(
                            answer["error"]["data"]["name"], "odoo.exceptions.AccessError"
                        )

    @mute_logger(*DENIED)
    def test_D8_api_secret_unreadable_for_non_admins_through_the_orm(self):
        """The same doors in-process (the ORM is what call_kw reaches)."""
        for user in self.non_admins:
            for model, method, args, kwargs, refused in self.rpc_doors():
                with self.subTest(user=user.login, model=model, method=method, args=args):
                    records = self.env[model].with_user(user)
                    ids, rest = (
                        (args[0], args[1:])
                        if method in ("read", "web_read", "export_data", "onchange")
                        else (None, args)
                    )
                    if ids is not None:
                        records = records.browse(ids)
                    try:
                        result = getattr(records, method)(*rest, **kwargs)
                    except (AccessError, UserError):
                        continue
                    self.assert_no_secret(str(result), f"{model}.{method}")
                    self.assertFalse(refused, f"{model}.{method} must be refused")

    def test_D8_csv_export_controller_never_carries_the_secret(self):
        exports = (
            ("ems.interface", self.interface, ["name", "api_secret"]),
            ("utm.campaign", self.campaign, ["title", "mailjet_interface_id/api_secret"]),
            (
                "ems.campaign.participant",
                self.person,
                ["email", "campaign_id/mailjet_interface_id/api_secret"],
            ),
            ("ems.mailjet.sync.run", self.run_a, ["interface_id/api_secret"]),
        )
        for user in (self.campaign_manager, self.admin_a):
            self.authenticate(user.login, user.login)
            for model, record, fields in exports:
                with self.subTest(user=user.login, model=model):
                    data = {
                        "model": model,
                        "ids": record.ids,
                        "domain": [],
                        "import_compat": True,
                        "fields": [{"name": f, "label": f} for f in fields],
                    }
                    with mute_logger(*DENIED, "odoo.addons.web.controllers.export"):
                        response = self.url_open(
                            "/web/export/csv",
                            data={
                                "data": json.dumps(data),
                                "csrf_token": http.Request.csrf_token(self),
                            },
                        )
                    self.assertNotEqual(response.status_code, 200, response.text[:300])
                    self.assert_no_secret(response.text, model)

    def test_D8_admin_reads_the_secret_but_no_export_carries_it(self):
        admin = self.admin_a
        interface = self.interface.with_user(admin)
        self.assertEqual(interface.read(["api_secret"])[0]["api_secret"], SECRET)
        exports = (
            (interface, ["name", "api_secret"]),
            (interface, ["webhook_password"]),
            (self.campaign.with_user(admin), ["title", "mailjet_interface_id/api_secret"]),
            (self.campaign.with_user(admin), ["mailjet_interface_id/webhook_password"]),
            (
                self.person.with_user(admin),
                ["email", "campaign_id/mailjet_interface_id/api_secret"],
            ),
            (self.run_a.with_user(admin), ["interface_id/api_secret"]),
        )
        for records, fields in exports:
            with self.subTest(model=records._name, fields=fields), self.assertRaises(AccessError):
                records.export_data(fields)
        rows = self.campaign.with_user(admin).export_data(
            ["title", "mailjet_interface_id/name", "mailjet_interface_id/api_key"]
        )["datas"]
        self.assertEqual(rows, [["Newsletter A", "Mailjet A", KEY]], "other fields export")

    # ------------------------------------------------------------------ logs
    @contextmanager
    def capture_every_log_record(self, records):
        """Append every record of every logger, at DEBUG and formatted with its arguments
        and traceback, to ``records``; the console and the log file see none of them."""

        class Capture(logging.Handler):
            def emit(self, record):
                records.append(self.format(record))

        handler = Capture(level=logging.DEBUG)
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s %(args)s"))
        root = logging.getLogger()
        ours = logging.getLogger("odoo.addons.ems_mailjet")
        loggers = {root, ours} | {
            logger
            for logger in logging.root.manager.loggerDict.values()
            if isinstance(logger, logging.Logger) and not logger.propagate
        }
        saved_levels = {logger: logger.level for logger in loggers}
        saved_handlers = [(h, h.level) for h in root.handlers]
        saved_propagate = ours.propagate
        for existing, _level in saved_handlers:
            existing.setLevel(logging.CRITICAL + 1)
        for logger in loggers:
            logger.addHandler(handler)
            logger.setLevel(logging.DEBUG)
        ours.propagate = False
        try:
            yield records
        finally:
            for logger in loggers:
                logger.removeHandler(handler)
                logger.setLevel(saved_levels[logger])
            ours.propagate = saved_propagate
            for existing, level in saved_handlers:
                existing.setLevel(level)

    def test_D8_secret_never_in_any_log_record_of_a_full_sync_with_failures(self):
        """Syncs that meet every kind of failure, Test connection, webhook registration,
        webhook calls with wrong credentials and a non-admin's call_kw, while every log
        record is captured. (Saving a new secret is an admin's edit, not part of a sync:
        it happens outside the capture, since at DEBUG Odoo's SQL log shows the values
        of every UPDATE, the secret's included, as it does for any field.)"""
        interface = self.interface
        self.env["ir.config_parameter"].set_param("web.base.url", "https://erp.example.com")
        people = self.env["ems.campaign.participant"]
        partner = self.env["res.partner"].create({"name": "Logged", "email": "log@example.com"})
        people.create(
            [
                {"campaign_id": self.campaign.id, "partner_id": partner.id},
                {"campaign_id": self.campaign.id, "email": "gone@example.com", "state": "declined"},
            ]
        )
        runs, records = [], []

        def sync():
            runs.append(interface._sync_now())
            self.env.invalidate_all()
            self.sandbox.control("DELETE", "faults")

        def add(email):
            people.create({"campaign_id": self.campaign.id, "email": email})

        def set_secret(secret):
            interface.api_secret = secret
            self.env.flush_all()

        with self.capture_every_log_record(records):
            sync()
            self.sandbox.fault(kind="status", status=429, count=2)
            add("one@example.com")
            sync()
            self.sandbox.fault(kind="status", status=500, path="listrecipient", count=99)
            sync()
            self.sandbox.fault(
                kind="status", status=503, path="contactslist", method="GET", count=99
            )
            sync()
            self.sandbox.fault(kind="drop", path="managemanycontacts", count=99)
            add("two@example.com")
            sync()
            self.sandbox.fault(kind="delay", seconds=1.0, path="contactslistsignup", count=3)
            sync()
            self.sandbox.fault(kind="job_error", count=99)
            add("three@example.com")
            sync()
            self.sandbox.fault(kind="contact_errors", emails=["four@example.com"], count=99)
            add("four@example.com")
            sync()
            self.sandbox.fault(kind="status", status=401, path="managemanycontacts", count=99)
            add("five@example.com")
            sync()
        set_secret(WRONG_SECRET)
        with self.capture_every_log_record(records):
            sync()
            interface.action_test_connection()
        set_secret(SECRET)
        with self.capture_every_log_record(records):
            self.sandbox.revoke()
            sync()
            interface.action_test_connection()
            with self.assertRaises(UserError):
                interface.action_register_webhook()
            self.env.flush_all()
            # the webhook with wrong credentials, the API key and secret among them
            for credentials in (
                (KEY, SECRET),
                (interface.webhook_user, SECRET),
                (interface.webhook_user, "nope"),
            ):
                pair = base64.b64encode(":".join(credentials).encode()).decode()
                self.url_open(
                    f"/ems_mailjet/webhook/{interface.webhook_token}",
                    data="[]",
                    headers={"Authorization": f"Basic {pair}", "Content-Type": "application/json"},
                )
            # a non-admin trying to read it
            self.authenticate(self.campaign_user.login, self.campaign_user.login)
            payload = {
                "jsonrpc": "2.0",
                "method": "call",
                "id": 1,
                "params": {
                    "model": "ems.interface",
                    "method": "read",
                    "args": [[interface.id], ["api_secret"]],
                    "kwargs": {},
                },
            }
            self.url_open(
                "/web/dataset/call_kw",
                data=json.dumps(payload),
                headers={"Content-Type": "application/json"},
            )

        states = [run.state for run in runs]
        self.assertIn("done", states)
        self.assertIn("partial", states)
        self.assertIn("failed", states)
        self.assertGreater(len(records), 50, "the capture saw the sync's records")
        self.assertTrue([r for r in records if r.startswith("WARNING")], "failures logged")
        self.assertTrue([r for r in records if "mailjet_rest" in r], "the client's too")
        for secret in (*self.secrets(), WRONG_SECRET, quote(WRONG_SECRET)):
            self.assertEqual([r for r in records if secret in r], [], "log records")
        self.env.invalidate_all()
        texts = [run.log for run in runs] + [interface.last_error]
        messages = self.env["mail.message"].search(
            [("model", "=", "ems.interface"), ("res_id", "=", interface.id)]
        )
        texts += messages.mapped("body") + [
            str(v)
            for v in messages.tracking_value_ids.read(
                ["old_value_char", "new_value_char", "old_value_text", "new_value_text"]
            )
        ]
        for text in texts:
            self.assert_no_secret(text, "run log, error or chatter")
            self.assertNotIn(WRONG_SECRET, text or "")

    # ------------------------------------------------------------------ webhook
    def test_webhook_refuses_wrong_credentials_and_unknown_tokens(self):
        interface, other = self.interface, self.interface_b
        own = (interface.webhook_user, interface.webhook_password)
        attempts = (
            ("the API key and secret", interface.webhook_token, (KEY, SECRET)),
            (
                "the webhook user with the API secret",
                interface.webhook_token,
                (interface.webhook_user, SECRET),
            ),
            (
                "the password in other case",
                interface.webhook_token,
                (interface.webhook_user, interface.webhook_password.swapcase()),
            ),
            (
                "company B's credentials",
                interface.webhook_token,
                (other.webhook_user, other.webhook_password),
            ),
            ("company B's token with A's credentials", other.webhook_token, own),
            ("a token in other case", interface.webhook_token.swapcase(), own),
            ("the API secret as token", SECRET, own),
            ("an empty password", interface.webhook_token, (interface.webhook_user, "")),
        )
        self.campaign.mailjet_list_id = "100"
        payload = json.dumps(
            [
                {"event": "unsub", "email": "a@example.com", "mj_list_id": 100, "time": 1767261600},
                {"event": "unsub", "email": "b@example.com", "mj_list_id": 101, "time": 1767261600},
            ]
        )
        self.env.flush_all()
        runs_before = self.env["ems.mailjet.sync.run"].search_count([])
        for row, token, (user, password) in attempts:
            with self.subTest(row=row):
                pair = base64.b64encode(f"{user}:{password}".encode()).decode()
                with mute_logger("odoo.addons.ems_mailjet.controllers.main"):
                    response = self.url_open(
                        f"/ems_mailjet/webhook/{token}",
                        data=payload,
                        headers={
                            "Authorization": f"Basic {pair}",
                            "Content-Type": "application/json",
                        },
                    )
                self.assertIn(response.status_code, (401, 404), row)
                self.assert_no_secret(response.text, row)
        self.env.invalidate_all()
        self.assertEqual((self.person.state, self.person_b.state), ("accepted", "accepted"))
        self.assertEqual(self.env["ems.mailjet.sync.run"].search_count([]), runs_before)
        # control: the same request with the right token and credentials is applied
        pair = base64.b64encode(":".join(own).encode()).decode()
        response = self.url_open(
            f"/ems_mailjet/webhook/{interface.webhook_token}",
            data=payload,
            headers={"Authorization": f"Basic {pair}", "Content-Type": "application/json"},
        )
        self.assertEqual(response.status_code, 200)
        self.env.invalidate_all()
        self.assertEqual((self.person.state, self.person_b.state), ("declined", "accepted"))

    # ------------------------------------------------------------------ companies
    @mute_logger(*DENIED)
    def test_company_a_user_sees_nothing_of_company_b(self):
        of_b = {
            "ems.interface": self.interface_b,
            "utm.campaign": self.campaign_b,
            "ems.campaign.participant": self.person_b,
            "ems.mailjet.sync.run": self.run_b,
        }
        of_a = {
            "ems.interface": self.interface,
            "utm.campaign": self.campaign,
            "ems.campaign.participant": self.person,
            "ems.mailjet.sync.run": self.run_a,
        }
        for user in (self.campaign_user, self.campaign_manager, self.admin_a):
            for model, record in of_b.items():
                with self.subTest(user=user.login, model=model):
                    records = self.env[model].with_user(user)
                    try:
                        found = records.search([])
                    except AccessError:
                        continue  # no access to the model at all (non-admins: interfaces)
                    self.assertNotIn(record, found)
                    if of_a[model]._name != "ems.interface" or user == self.admin_a:
                        self.assertIn(of_a[model], found, "A's own record is visible")
                    self.assertFalse(records.search_count([("id", "=", record.id)]))
                    self.assertNotIn(record.id, [r[0] for r in records.name_search("")])
                    groups = records.read_group([], ["__count"], [])
                    self.assertEqual(groups[0]["__count"], len(found))
                    with self.assertRaises(AccessError):
                        record.with_user(user).read(["display_name"])

    def test_company_a_user_sees_nothing_of_company_b_through_json_rpc(self):
        for user in (self.campaign_manager, self.admin_a):
            self.authenticate(user.login, user.login)
            for model, record in (
                ("utm.campaign", self.campaign_b),
                ("ems.campaign.participant", self.person_b),
                ("ems.interface", self.interface_b),
                ("ems.mailjet.sync.run", self.run_b),
            ):
                with self.subTest(user=user.login, model=model):
                    answer, text = self.call_kw(model, "search_read", [[], ["display_name"]])
                    if "result" in answer:
                        self.assertNotIn(record.id, [r["id"] for r in answer["result"]])
                    answer, text = self.call_kw(model, "read", [record.ids, ["display_name"]])
                    self.assertIn("error", answer)
                    self.assertNotIn(record.display_name, text)
                    # asking for company B in the context does not help a user outside it
                    answer, text = self.call_kw(
                        model,
                        "search_read",
                        [[("id", "=", record.id)], ["display_name"]],
                        {
                            "context": {
                                "allowed_company_ids": [self.company_a.id, self.company_b.id]
                            }
                        },
                    )
                    self.assertFalse(answer.get("result"), text[:300])
                    self.assertNotIn(record.display_name, text)
