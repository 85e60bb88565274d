"""`make test`: lint, the tests that need no Odoo, and the Odoo tests on a fresh database.

The last line is always ``odoo-tests: N passed, M failed`` or
``odoo-tests: SKIPPED (<reason>)``. The exit status is non-zero when anything failed.
Environment: ODOO_PYTHON (the Python that imports Odoo 18; default python3),
EMS_SKIP_INSTALL=1 (do not pip-install requirements-dev.txt), PGHOST/PGPORT/PGUSER.
"""

import os
import re
import subprocess
import sys
import time

import odoo_env  # beside this script: Python runs a script with its folder importable

ROOT = odoo_env.ROOT
VAR = os.path.join(ROOT, "var")
BAD_LOG_LINE = re.compile(r"^\S+ \S+ \d+ (WARNING|ERROR|CRITICAL) ")


def step(title):
    print(f"\n=== {title}", flush=True)


def run(cmd, **kwargs):
    print("$ " + " ".join(cmd), flush=True)
    return subprocess.run(cmd, cwd=ROOT, check=False, **kwargs)


def pytest_counts(output):
    """(passed, failed) from pytest's closing line."""
    tail = output.strip().splitlines()[-1] if output.strip() else ""
    passed = sum(int(n) for n in re.findall(r"(\d+) passed", tail))
    failed = sum(int(n) for n in re.findall(r"(\d+) (?:failed|errors?)", tail))
    return passed, failed


def run_pytest(cmd, log_path):
    with open(log_path, "w", encoding="utf-8") as log:
        proc = subprocess.Popen(
            cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        lines = []
        for line in proc.stdout:
            log.write(line)
            lines.append(line)
            sys.stdout.write(line)
        proc.wait()
    return proc.returncode, "".join(lines)


def odoo_tests(python):
    """Install ems_mailjet with --test-enable on a fresh database, then pytest-odoo."""
    major, version = odoo_env.odoo_version(python)
    if major != 18:
        reason = version if major is None else f"Odoo {version} found, 18.0 needed"
        return None, reason
    print(f"Odoo {version} via {python}")
    dbname = f"ems_test_{os.getpid()}_{int(time.time())}"
    conf = os.path.join(VAR, "odoo-test.conf")
    with odoo_env.postgres() as server:
        odoo_env.write_odoo_conf(conf, server, dbname, odoo_env.free_port())
        try:
            step(f"install ems_mailjet with --test-enable into {dbname}")
            install_log = os.path.join(VAR, "odoo-install.log")
            with open(install_log, "w", encoding="utf-8") as log:
                proc = run(
                    [
                        python,
                        "-m",
                        "odoo",
                        "-c",
                        conf,
                        "-d",
                        dbname,
                        "-i",
                        "ems_mailjet",
                        "--test-enable",
                        "--test-tags",
                        "/ems_mailjet",
                        "--stop-after-init",
                        "--log-level=info",
                    ],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    timeout=3600,
                )
            with open(install_log, encoding="utf-8") as log:
                bad = [line.rstrip() for line in log if BAD_LOG_LINE.match(line)]
            print(f"install exit status {proc.returncode}; log: {install_log}")
            if bad:
                print(f"{len(bad)} WARNING/ERROR line(s) during install:")
                print("\n".join(bad[:60]))
            if proc.returncode != 0 or bad:
                return (0, max(1, len(bad))), None

            step("Odoo tests with pytest-odoo")
            code, output = run_pytest(
                [
                    python,
                    "-m",
                    "pytest",
                    "-p",
                    "no:cacheprovider",
                    "-q",
                    "-o",
                    "addopts=",
                    "--odoo-config",
                    conf,
                    "--odoo-database",
                    dbname,
                    "--odoo-http",
                    os.path.join("ems_mailjet", "tests"),
                ],
                os.path.join(VAR, "odoo-tests.log"),
            )
            passed, failed = pytest_counts(output)
            if code != 0 and failed == 0:
                failed = 1
            return (passed, failed), None
        finally:
            odoo_env.drop_database(server, dbname)


def main():
    os.makedirs(VAR, exist_ok=True)
    python = odoo_env.odoo_python()
    ok = True

    if os.environ.get("EMS_SKIP_INSTALL") != "1":
        step("install development requirements")
        quiet = ["-q", "--disable-pip-version-check"]
        if run([python, "-m", "pip", "install", *quiet, "-r", "requirements-dev.txt"]).returncode:
            ok = False

    step("lint: ruff")
    ok &= run([python, "-m", "ruff", "check", "."]).returncode == 0
    step("lint: pylint-odoo mandatory checks")
    ok &= (
        run([python, "-m", "pylint", "--rcfile=.pylintrc-mandatory", "ems_mailjet"]).returncode == 0
    )

    step("tests that need no Odoo")
    code, output = run_pytest(
        [python, "-m", "pytest", "-p", "no:cacheprovider", "-q", "tests"],
        os.path.join(VAR, "plain-tests.log"),
    )
    plain_passed, plain_failed = pytest_counts(output)
    ok &= code == 0

    step("Odoo tests")
    counts, skipped = odoo_tests(python)
    print("\n=== summary")
    print(f"lint and plain tests: {'ok' if ok else 'FAILED'}")
    print(f"plain-tests: {plain_passed} passed, {plain_failed} failed")
    if skipped:
        print(f"odoo-tests: SKIPPED ({skipped})")
        return 0 if ok else 1
    passed, failed = counts
    print(f"odoo-tests: {passed} passed, {failed} failed")
    return 0 if ok and failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
