"""A local stand-in for Mailjet's v3 REST API (contacts, lists, bulk jobs, stats, webhooks).

Run it with ``python -m mailjet_sandbox``; drive it from tests with
``mailjet_sandbox.testing.SandboxProcess``. See README.md in this folder.
"""

__version__ = "0.1.0"
