"""Find Odoo 18 and a PostgreSQL server for the test harness and the demo.

Used by ``scripts/run_tests.py`` and ``scripts/run_demo.py``; standard library only, so it
runs under any Python, with or without Odoo.

PostgreSQL: the server that answers on PGHOST/PGPORT (default 127.0.0.1:5432) is used when
it lets us in; Odoo refuses to run as ``postgres``, so a role of our own (``ems_odoo``, with
CREATEDB) is created there if missing. Where no server answers, a throwaway cluster is
initialised in a temporary folder, started on a free port and removed afterwards.
"""

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ODOO_ROLE = "ems_odoo"


def odoo_python():
    return os.environ.get("ODOO_PYTHON") or shutil.which("python3") or sys.executable


def odoo_version(python):
    """(major, text) of the Odoo importable by ``python``, or (None, reason)."""
    probe = "import odoo.release as r; print(r.version_info[0], r.version)"
    try:
        out = subprocess.run(
            [python, "-c", probe], capture_output=True, text=True, timeout=120, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        return None, f"cannot run {python}: {error}"
    if out.returncode != 0:
        last = (out.stderr.strip().splitlines() or ["no output"])[-1]
        return None, f"Odoo is not importable by {python} ({last})"
    major, text = out.stdout.split(maxsplit=1)
    return int(major), text.strip()


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _port_open(host, port):
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=2):
        return True
    return False


def _psql(host, port, user, sql, dbname="postgres"):
    psql = shutil.which("psql") or _pg_bin("psql")
    if not psql:
        return None
    env = dict(os.environ, PGCONNECT_TIMEOUT="5")
    cmd = [psql, "-h", host, "-p", str(port), "-U", user, "-d", dbname, "-tAc", sql]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=env, check=False)


def _pg_bin(name):
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    return candidates[0] if candidates else None


def _ensure_role(host, port, admin):
    """Create our login role (no password: the trust/peer rules of the server apply)."""
    sql = (
        f"DO $$BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname='{ODOO_ROLE}') "
        f"THEN CREATE ROLE {ODOO_ROLE} LOGIN CREATEDB; END IF; END$$;"
    )
    out = _psql(host, port, admin, sql)
    return out is not None and out.returncode == 0


@contextlib.contextmanager
def postgres(log=print):
    """Yield dict(host, port, user) of a PostgreSQL server Odoo may use."""
    host = os.environ.get("PGHOST", "127.0.0.1")
    port = int(os.environ.get("PGPORT", "5432"))
    if _port_open(host, port):
        for admin in filter(None, [os.environ.get("PGUSER"), "postgres", ODOO_ROLE]):
            if admin == ODOO_ROLE:
                probe = _psql(host, port, admin, "select 1")
                ok = probe is not None and probe.returncode == 0
            else:
                ok = _ensure_role(host, port, admin)
            if ok:
                log(f"postgres: using the server on {host}:{port} as role {ODOO_ROLE}")
                yield {"host": host, "port": port, "user": ODOO_ROLE}
                return
        log(f"postgres: {host}:{port} answers but does not let us in; starting our own")
    with _throwaway_cluster(log) as server:
        yield server


@contextlib.contextmanager
def _throwaway_cluster(log):
    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    if not (initdb and pg_ctl):
        raise RuntimeError(
            "No PostgreSQL server answers and initdb/pg_ctl are not installed "
            "(Debian: apt-get install postgresql)."
        )
    workdir = tempfile.mkdtemp(prefix="ems-pg-")
    datadir = os.path.join(workdir, "data")
    port = free_port()
    run_as = []
    if os.geteuid() == 0:  # initdb refuses to run as root
        user = "postgres" if _user_exists("postgres") else "nobody"
        run_as = ["runuser", "-u", user, "--"]
        shutil.chown(workdir, user=user)
    log(f"postgres: starting a throwaway cluster on 127.0.0.1:{port} in {workdir}")
    try:
        subprocess.run(
            [*run_as, initdb, "-D", datadir, "-U", ODOO_ROLE, "--auth=trust", "-E", "UTF8"],
            check=True,
            capture_output=True,
            timeout=300,
        )
        options = f"-p {port} -k {workdir} -c listen_addresses=127.0.0.1 -c fsync=off"
        subprocess.run(
            [
                *run_as,
                pg_ctl,
                "-D",
                datadir,
                "-o",
                options,
                "-l",
                os.path.join(workdir, "server.log"),
                "-w",
                "-t",
                "60",
                "start",
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
        yield {"host": "127.0.0.1", "port": port, "user": ODOO_ROLE}
    finally:
        subprocess.run(
            [*run_as, pg_ctl, "-D", datadir, "-m", "fast", "-w", "stop"],
            capture_output=True,
            timeout=120,
            check=False,
        )
        shutil.rmtree(workdir, ignore_errors=True)
        log("postgres: throwaway cluster stopped and removed")


def _user_exists(name):
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def drop_database(server, dbname):
    dropdb = _pg_bin("dropdb")
    if dropdb:
        subprocess.run(
            [
                dropdb,
                "--if-exists",
                "-h",
                server["host"],
                "-p",
                str(server["port"]),
                "-U",
                server["user"],
                dbname,
            ],
            capture_output=True,
            timeout=120,
            check=False,
        )


def write_odoo_conf(path, server, dbname, http_port, extra=None):
    lines = [
        "[options]",
        f"db_host = {server['host']}",
        f"db_port = {server['port']}",
        f"db_user = {server['user']}",
        "db_password = False",
        f"db_name = {dbname}",
        f"addons_path = {ROOT}",
        f"http_port = {http_port}",
        f"data_dir = {os.path.join(ROOT, 'var', 'filestore')}",
        "list_db = False",
    ]
    lines += [f"{key} = {value}" for key, value in (extra or {}).items()]
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")


def wait_for_port(host, port, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _port_open(host, port):
            return True
        time.sleep(0.5)
    return False
