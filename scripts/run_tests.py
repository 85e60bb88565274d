"""`make test`: lint, the addon's wheel, the tests that need no Odoo, and the Odoo tests
(browser tours included) on a fresh database.

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
import xml.etree.ElementTree as ET

import addon_checks  # beside this script: Python runs a script with its folder importable
import odoo_env

ROOT = odoo_env.ROOT
VAR = os.path.join(ROOT, "var")
BAD_LOG_LINE = re.compile(r"^\S+ \S+ \d+ (WARNING|ERROR|CRITICAL) ")
TOURS = os.path.join("ems_mailjet", "tests", "test_tours.py")


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


def junit_counts(path):
    """{"tours": (passed, failed, skipped), "other": (...)} from pytest's JUnit XML."""
    counts = {"tours": [0, 0, 0], "other": [0, 0, 0]}
    if not os.path.exists(path):
        return counts
    for case in ET.parse(path).getroot().iter("testcase"):
        kind = "tours" if case.get("classname", "").endswith("test_tours.TestTours") else "other"
        if case.find("failure") is not None or case.find("error") is not None:
            counts[kind][1] += 1
        elif case.find("skipped") is not None:
            counts[kind][2] += 1
        else:
            counts[kind][0] += 1
    return counts


def odoo_tests(python, tours_skipped=None):
    """Install ems_mailjet with --test-enable on a fresh database, then pytest-odoo.

    The install runs every test but the tours (tag ``ems_tours``); pytest-odoo then runs all
    tests once more with the HTTP server, the tours too, and counts them. Returns
    ((passed, failed), tours counts or None, skip reason)."""
    major, version = odoo_env.odoo_version(python)
    if major != 18:
        reason = version if major is None else f"Odoo {version} found, 18.0 needed"
        return None, None, reason
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
                        "/ems_mailjet,-ems_tours",
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
                return (0, max(1, len(bad))), None, None

            step("Odoo tests with pytest-odoo" + (" (no tours)" if tours_skipped else ""))
            junit = os.path.join(VAR, "odoo-tests.xml")
            if os.path.exists(junit):
                os.remove(junit)
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
                    f"--junitxml={junit}",
                    *([f"--ignore={TOURS}"] if tours_skipped else []),
                    os.path.join("ems_mailjet", "tests"),
                ],
                os.path.join(VAR, "odoo-tests.log"),
            )
            passed, failed = pytest_counts(output)
            if code != 0 and failed == 0:
                failed = 1
            tours = None if tours_skipped else junit_counts(junit)["tours"]
            return (passed, failed), tours, None
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

    step("lint: pre-commit run --all-files (make lint)")
    ok &= addon_checks.lint(python)

    step("the addon's wheel: pip wheel ./ems_mailjet, its metadata and files, pip install")
    wheel_ok = addon_checks.wheel(python)
    ok &= wheel_ok

    step("tests that need no Odoo")
    code, output = run_pytest(
        [python, "-m", "pytest", "-p", "no:cacheprovider", "-q", "tests"],
        os.path.join(VAR, "plain-tests.log"),
    )
    plain_passed, plain_failed = pytest_counts(output)
    ok &= code == 0

    step("what the browser tours need: websocket-client, Chromium")
    tours_skipped = addon_checks.tour_prerequisites(python)
    if tours_skipped:
        print(f"tours will be skipped: {tours_skipped}")

    step("Odoo tests")
    counts, tours, skipped = odoo_tests(python, tours_skipped)
    print("\n=== summary")
    print(f"lint and plain tests: {'ok' if ok else 'FAILED'}")
    print(f"wheel: {'ok' if wheel_ok else 'FAILED'}")
    print(f"plain-tests: {plain_passed} passed, {plain_failed} failed")
    if tours_skipped or skipped:
        print(f"tours: SKIPPED ({tours_skipped or skipped})")
    elif tours is not None:
        t_passed, t_failed, t_skipped = tours
        note = f", {t_skipped} skipped (Odoo found no browser)" if t_skipped else ""
        print(f"tours: {t_passed} passed, {t_failed} failed{note} (in the Odoo tests below)")
    if skipped:
        print(f"odoo-tests: SKIPPED ({skipped})")
        return 0 if ok else 1
    passed, failed = counts
    print(f"odoo-tests: {passed} passed, {failed} failed")
    return 0 if ok and failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
