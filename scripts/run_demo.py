"""`make run`: Odoo 18 on http://localhost:8069 with ems_mailjet, its demo data and a local
Mailjet sandbox the demo synchronises with.

Needs Odoo 18 importable by ODOO_PYTHON (default python3). Uses the PostgreSQL server on
127.0.0.1:5432 when it lets us in, else a throwaway cluster that lives as long as the demo.
The demo database ``ems_demo`` is created on the first run and updated on later ones.

The Mailjet side is ``mailjet_sandbox`` (a local stand-in for Mailjet's API) on a free port
of 127.0.0.1, with the credentials demo-key / demo-secret; its state is kept in
``var/demo-mailjet.json``, so the lists survive restarts. ``scripts/demo_mailjet.py`` points
the interface "Mailjet (local sandbox)" at it and synchronises; on the first start it also
plays two widget signups, an unsubscribe and a sent Mailjet campaign, then syncs again.
Everything stays on 127.0.0.1: the sandbox listens there only, and Odoo's own online
services (update notification, IAP) are switched off in the demo database.

Environment: EMS_DEMO_DB (default ems_demo), EMS_DEMO_PORT (default 8069),
ODOO_PYTHON. Stop with Ctrl-C (stops Odoo and the sandbox).
"""

import os
import signal
import subprocess
import sys
import time

import odoo_env  # beside this script: Python runs a script with its folder importable

# installed by `pip install -r requirements-dev.txt` (make test does it)
from mailjet_sandbox.testing import SandboxError, SandboxProcess

DB = os.environ.get("EMS_DEMO_DB", "ems_demo")
PORT = int(os.environ.get("EMS_DEMO_PORT", "8069"))
SANDBOX_KEY = "demo-key"
SANDBOX_SECRET = "demo-secret"
SANDBOX_STATE = os.path.join(
    odoo_env.ROOT, "var", "demo-mailjet.json" if DB == "ems_demo" else f"demo-mailjet-{DB}.json"
)

HOW_TO_GET_ODOO = """\
Odoo 18.0 is not importable here ({reason}).
ems_mailjet is an Odoo 18.0 addon; to run the demo, install Odoo 18.0 community from source
(https://www.odoo.com/documentation/18.0/administration/on_premise/source.html):
  git clone --depth 1 --branch 18.0 https://github.com/odoo/odoo.git
  pip install -r odoo/requirements.txt && pip install -e odoo
or point ODOO_PYTHON at a Python that imports Odoo 18, then run `make run` again."""

WHAT_TO_LOOK_AT = """
ems_mailjet demo: http://localhost:{port}/odoo  (database {db})
  login: admin   password: admin
  Mailjet sandbox: {sandbox}  (API key {key}, secret {secret}; state in {state})
What to look at:
  Campaigns → "Monthly customer newsletter" → Participants: accepted and declined people
    (with the date), signups that came from Mailjet, one matched to an employee (number).
  … → its Mailjet tab: list ID, Mailjet's counters and the statistics of the sent campaign.
  Campaigns → Configuration → Interfaces → "Mailjet (local sandbox)" → Runs (also under
    Campaigns → Configuration → Synchronisation runs); "Sync now" syncs again.
  Play Mailjet yourself: curl -X POST {sandbox}_sandbox/signup \\
    -d '{{"ListID": {list_id}, "Email": "someone@example.com", "Name": "Someone"}}'
    then "Sync now" on the interface (see mailjet_sandbox/README.md for more).
Stop with Ctrl-C."""


def database_exists(server):
    out = odoo_env._psql(
        server["host"],
        server["port"],
        server["user"],
        f"SELECT 1 FROM pg_database WHERE datname = '{DB}'",
    )
    return out is not None and out.stdout.strip() == "1"


def newsletter_list_id(server):
    out = odoo_env._psql(
        server["host"],
        server["port"],
        server["user"],
        "SELECT c.mailjet_list_id FROM utm_campaign c JOIN ir_model_data d ON d.res_id = c.id "
        "AND d.model = 'utm.campaign' AND d.module = 'ems_mailjet' "
        "AND d.name = 'demo_campaign_newsletter'",
        dbname=DB,
    )
    value = out.stdout.strip() if out is not None and out.returncode == 0 else ""
    return value or "LIST_ID"


def _raise_interrupt(_signum, _frame):
    raise KeyboardInterrupt


def stop(process, name):
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        print(f"{name} did not stop within 30 s; killing it.", flush=True)
        process.kill()
        process.wait(timeout=10)


def connect_sandbox(python, conf, sandbox):
    """Point the interface at the sandbox and sync (scripts/demo_mailjet.py)."""
    print(
        f"Connecting the demo to the Mailjet sandbox on {sandbox.url} and synchronising…",
        flush=True,
    )
    done = subprocess.run(
        [
            python,
            os.path.join(odoo_env.ROOT, "scripts", "demo_mailjet.py"),
            "-c",
            conf,
            "-d",
            DB,
            "--sandbox-url",
            sandbox.url,
            "--api-key",
            SANDBOX_KEY,
            "--api-secret",
            SANDBOX_SECRET,
        ],
        cwd=odoo_env.ROOT,
        check=False,
    )
    if done.returncode:
        print(
            "Warning: the demo's Mailjet synchronisation did not succeed (see above); "
            "Odoo is served anyway.",
            flush=True,
        )


def main():
    python = odoo_env.odoo_python()
    major, version = odoo_env.odoo_version(python)
    if major != 18:
        reason = version if major is None else f"found Odoo {version}"
        print(HOW_TO_GET_ODOO.format(reason=reason), file=sys.stderr)
        return 2
    if odoo_env._port_open("127.0.0.1", PORT):
        print(
            f"Port {PORT} is already in use (another Odoo?). Stop it, or choose another "
            f"port: EMS_DEMO_PORT=8070 make run",
            file=sys.stderr,
        )
        return 1
    signal.signal(signal.SIGTERM, _raise_interrupt)  # `kill` stops cleanly, like Ctrl-C
    os.makedirs(os.path.join(odoo_env.ROOT, "var"), exist_ok=True)
    try:
        with odoo_env.postgres() as server:
            return run(python, version, server)
    except KeyboardInterrupt:
        return 0
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def run(python, version, server):
    started = time.monotonic()
    conf = os.path.join(odoo_env.ROOT, "var", "odoo-demo.conf")
    extra = {
        "dbfilter": f"^{DB}$",
        "proxy_mode": "False",
        # the weekly "update notification" must not leave this machine
        "publisher_warranty_url": "http://127.0.0.1:9/",
    }
    odoo_env.write_odoo_conf(conf, server, DB, PORT, extra=extra)
    init = "-u" if database_exists(server) else "-i"
    print(f"Preparing the demo database {DB} (Odoo {version}); this takes a minute…", flush=True)
    prepared = subprocess.run(
        [
            python,
            "-m",
            "odoo",
            "-c",
            conf,
            "-d",
            DB,
            init,
            "ems_mailjet",
            "--stop-after-init",
            "--log-level=warn",
        ],
        cwd=odoo_env.ROOT,
        check=False,
    )
    if prepared.returncode:
        print("Installing ems_mailjet into the demo database failed; see above.")
        return prepared.returncode
    sandbox = server_proc = None
    try:
        fresh_state = not os.path.exists(SANDBOX_STATE)
        try:
            sandbox = SandboxProcess(SANDBOX_KEY, SANDBOX_SECRET, state_file=SANDBOX_STATE)
            sandbox.start()
        except SandboxError as error:
            sandbox = None
            print(
                f"Warning: the Mailjet sandbox did not start ({error}); Odoo is served without it.",
                flush=True,
            )
        else:
            print(
                f"Mailjet sandbox on {sandbox.url} ({'new ' if fresh_state else ''}state "
                f"file {os.path.relpath(SANDBOX_STATE, odoo_env.ROOT)})",
                flush=True,
            )
            connect_sandbox(python, conf, sandbox)
        server_proc = subprocess.Popen(
            [python, "-m", "odoo", "-c", conf, "-d", DB, "--log-level=warn"],
            cwd=odoo_env.ROOT,
        )
        if wait_for_odoo(server_proc):
            print(
                WHAT_TO_LOOK_AT.format(
                    port=PORT,
                    db=DB,
                    sandbox=sandbox.url if sandbox else "(not running)",
                    key=SANDBOX_KEY,
                    secret=SANDBOX_SECRET,
                    state=os.path.relpath(SANDBOX_STATE, odoo_env.ROOT),
                    list_id=newsletter_list_id(server),
                )
                + f"\n(ready after {time.monotonic() - started:.0f} s)",
                flush=True,
            )
        return server_proc.wait()
    finally:
        # Inside the postgres() block: a throwaway cluster outlives the Odoo using it.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second `kill` must not cut this
        stop(server_proc, "Odoo")
        if sandbox is not None:
            sandbox.stop()  # SIGTERM: the sandbox saves its state file first
        if server_proc is not None or sandbox is not None:
            print("Demo stopped (Odoo and the Mailjet sandbox).", flush=True)


def wait_for_odoo(process, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        if odoo_env.wait_for_port("127.0.0.1", PORT, 1):
            return True
    return False


if __name__ == "__main__":
    sys.exit(main())
