"""Shared fixtures for the tests that need no Odoo.

``ems_mailjet/__init__.py`` imports Odoo models, so the plain-Python engine in
``ems_mailjet/services`` is made importable here as ``ems_mailjet.services`` without
running the addon's ``__init__`` (the engine itself never imports odoo). The sandbox is
the installed ``mailjet_sandbox`` package (``pip install -e mailjet_sandbox``, part of
``requirements-dev.txt``).
"""

import sys
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

if "ems_mailjet" not in sys.modules:
    _pkg = types.ModuleType("ems_mailjet")
    _pkg.__path__ = [str(ROOT / "ems_mailjet")]
    sys.modules["ems_mailjet"] = _pkg

import pytest  # noqa: E402

SANDBOX_KEY = "sandbox-key"
SANDBOX_SECRET = "sandbox-secret-do-not-log"


@pytest.fixture(scope="session")
def sandbox_server():
    """One sandbox process for the session, started exactly as a user would start it."""
    from mailjet_sandbox.testing import SandboxProcess

    with SandboxProcess(api_key=SANDBOX_KEY, api_secret=SANDBOX_SECRET) as sb:
        yield sb


@pytest.fixture
def sandbox(sandbox_server):
    """The session's sandbox, emptied (state, faults, call log) before each test."""
    sandbox_server.reset()
    yield sandbox_server


def make_gateway(sandbox, attempts=4, **kwargs):
    """A gateway on the sandbox that retries quickly and never sleeps."""
    from ems_mailjet.services.gateway import MailjetGateway, RetryPolicy

    kwargs.setdefault("sleep", lambda _seconds: None)
    kwargs.setdefault("retry", RetryPolicy(attempts=attempts, initial_wait=0.01, max_wait=0.05))
    return MailjetGateway(SANDBOX_KEY, SANDBOX_SECRET, api_url=sandbox.url, **kwargs)


@pytest.fixture
def gateway(sandbox, request):
    """A gateway per test; a test module may set ``GATEWAY_ATTEMPTS``."""
    attempts = getattr(request.module, "GATEWAY_ATTEMPTS", 4)
    with make_gateway(sandbox, attempts=attempts) as gw:
        yield gw


@pytest.fixture
def list_id(gateway):
    return gateway.create_list("Newsletter").id


@pytest.fixture
def mj(sandbox):
    """The official client on the sandbox."""
    from mailjet_rest import Client

    with Client(
        auth=(sandbox.api_key, sandbox.api_secret), api_url=sandbox.url, timeout=5
    ) as client:
        yield client


def new_list(mj, name):
    return mj.contactslist.create(data={"Name": name}).json()["Data"][0]["ID"]
