"""Odoo tests against the project's local Mailjet sandbox, through the real mailjet-rest.

The sandbox (the ``mailjet_sandbox`` package at the repository root, a development tool
installed with ``pip install -e mailjet_sandbox``, not part of the addon) runs as a
subprocess on 127.0.0.1, which Odoo's test framework allows.
"""

from unittest.mock import patch

from odoo.tests import tagged

from odoo.addons.ems_mailjet.services.gateway import JobPolling, RetryPolicy

from mailjet_sandbox.testing import SandboxProcess

from .common import EmsMailjetCase

KEY = "sandbox-key"
FAST = {
    "retry": RetryPolicy(attempts=3, initial_wait=0.01, max_wait=0.05, jitter=0.0),
    "polling": JobPolling(initial_wait=0.01, max_wait=0.05, max_polls=50, timeout=30),
    "timeout": 10.0,  # Odoo's test request handler wants a number (and raises it to 10 s)
}


@tagged("post_install", "-at_install", "ems_mailjet")
class MailjetSandboxCase(EmsMailjetCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sandbox = SandboxProcess(api_key=KEY, api_secret=cls.SECRET).start()
        cls.addClassCleanup(cls.sandbox.stop)
        interface_class = type(cls.env["ems.interface"])
        cls.startClassPatcher(patch.object(interface_class, "_gateway_options", lambda self: FAST))
        cls.interface.write({"api_key": KEY, "api_url": cls.sandbox.url})
        cls.campaign.mailjet_interface_id = cls.interface

    def setUp(self):
        super().setUp()
        self.sandbox.reset()

    # helpers ---------------------------------------------------------------
    @classmethod
    def newsletter(cls, title):
        """A newsletter campaign synchronised through the sandbox's interface."""
        return cls.env["utm.campaign"].create(
            {"title": title, "mailjet_newsletter": True, "mailjet_interface_id": cls.interface.id}
        )

    def sync(self):
        run = self.interface._sync_now()
        self.env.invalidate_all()
        return run

    def mailjet_list(self, campaign=None):
        """The sandbox's view of the campaign's list: {email: member}."""
        campaign = campaign or self.campaign
        for lst in self.sandbox.state()["lists"]:
            if str(lst["ID"]) == (campaign.mailjet_list_id or ""):
                return {m["Email"]: m for m in lst["members"]}
        return None

    def list_names(self):
        return {lst["Name"] for lst in self.sandbox.state()["lists"]}

    def calls(self, kind=None):
        by = self.sandbox.calls()["by"]
        return sum(n for name, n in by.items() if kind is None or name == kind)
