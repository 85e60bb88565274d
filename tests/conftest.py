"""Shared fixtures for the tests that need no Odoo.

``ems_mailjet/__init__.py`` imports Odoo models, so the plain-Python engine in
``ems_mailjet/services`` is made importable here as ``ems_mailjet.services`` without
running the addon's ``__init__`` (the engine itself never imports odoo).
"""

import sys
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

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
