"""`make run`: Odoo 18 on http://localhost:8069 with ems_mailjet and its demo data.

Needs Odoo 18 importable by ODOO_PYTHON (default python3). Uses the PostgreSQL server on
127.0.0.1:5432 when it lets us in, else a throwaway cluster that lives as long as the demo.
The demo database ``ems_demo`` is created on the first run and updated on later ones.
Stop with Ctrl-C.
"""

import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import odoo_env  # noqa: E402  (after the sys.path line)

DB = os.environ.get("EMS_DEMO_DB", "ems_demo")
PORT = int(os.environ.get("EMS_DEMO_PORT", "8069"))

HOW_TO_GET_ODOO = """\
Odoo 18.0 is not importable here ({reason}).
ems_mailjet is an Odoo 18.0 addon; to run the demo, install Odoo 18.0 community from source
(https://www.odoo.com/documentation/18.0/administration/on_premise/source.html):
  git clone --depth 1 --branch 18.0 https://github.com/odoo/odoo.git
  pip install -r odoo/requirements.txt && pip install -e odoo
or point ODOO_PYTHON at a Python that imports Odoo 18, then run `make run` again."""


def database_exists(server):
    out = odoo_env._psql(
        server["host"], server["port"], server["user"],
        f"SELECT 1 FROM pg_database WHERE datname = '{DB}'",
    )
    return out is not None and out.stdout.strip() == "1"


def main():
    python = odoo_env.odoo_python()
    major, version = odoo_env.odoo_version(python)
    if major != 18:
        reason = version if major is None else f"found Odoo {version}"
        print(HOW_TO_GET_ODOO.format(reason=reason), file=sys.stderr)
        return 2
    os.makedirs(os.path.join(odoo_env.ROOT, "var"), exist_ok=True)
    conf = os.path.join(odoo_env.ROOT, "var", "odoo-demo.conf")
    with odoo_env.postgres() as server:
        odoo_env.write_odoo_conf(
            conf, server, DB, PORT, extra={"dbfilter": f"^{DB}$", "proxy_mode": "False"}
        )
        init = "-u" if database_exists(server) else "-i"
        print(f"Preparing the demo database {DB} (Odoo {version}); this takes a minute…")
        prepared = subprocess.run(
            [python, "-m", "odoo", "-c", conf, "-d", DB, init, "ems_mailjet",
             "--stop-after-init", "--log-level=warn"],
            cwd=odoo_env.ROOT,
            check=False,
        )
        if prepared.returncode:
            print("Installing ems_mailjet into the demo database failed; see above.")
            return prepared.returncode
        server_proc = subprocess.Popen(
            [python, "-m", "odoo", "-c", conf, "-d", DB, "--log-level=warn"],
            cwd=odoo_env.ROOT,
        )
        try:
            if odoo_env.wait_for_port("127.0.0.1", PORT, 120):
                print(
                    f"\nems_mailjet demo: http://localhost:{PORT}/odoo  "
                    f"(database {DB})\n  login: admin   password: admin\n"
                    "  Campaigns menu: campaigns with participants from partners, employees "
                    "and bare addresses.\n  Settings → Interfaces: the Mailjet interface form.\n"
                    "Stop with Ctrl-C.",
                    flush=True,
                )
            return server_proc.wait()
        except KeyboardInterrupt:
            server_proc.terminate()
            server_proc.wait(timeout=30)
            return 0


if __name__ == "__main__":
    sys.exit(main())
