"""The OCA-style steps of ``make test``: lint through pre-commit, the addon's wheel, and
what the browser tours need. Standard library only; used by ``scripts/run_tests.py``.
"""

import ast
import email.parser
import glob
import os
import re
import shutil
import subprocess
import tempfile
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ADDON = "ems_mailjet"
# the browsers Odoo's HttpCase looks for (odoo/tests/common.py, _find_executable)
BROWSERS = ("google-chrome", "chromium", "chromium-browser", "google-chrome-stable")


def _run(cmd, **kwargs):
    print("$ " + " ".join(cmd), flush=True)
    return subprocess.run(cmd, cwd=kwargs.pop("cwd", ROOT), check=False, **kwargs)


def node_tools():
    """prettier and its XML plugin from package.json (npm ci), when not there yet."""
    if os.path.exists(os.path.join(ROOT, "node_modules", ".bin", "prettier")):
        return True
    npm = shutil.which("npm")
    if not npm:
        print("npm not found: prettier (package.json) cannot be installed")
        return False
    lock = os.path.exists(os.path.join(ROOT, "package-lock.json"))
    cmd = [npm, "ci" if lock else "install", "--no-audit", "--no-fund"]
    return _run(cmd).returncode == 0


def lint(python):
    """`make lint`: every pre-commit hook on every file."""
    if not node_tools():
        return False
    cmd = [python, "-m", "pre_commit", "run", "--all-files", "--show-diff-on-failure"]
    return _run(cmd).returncode == 0


# -- the wheel ---------------------------------------------------------------------------
def _manifest():
    with open(os.path.join(ROOT, ADDON, "__manifest__.py"), encoding="utf-8") as handle:
        return ast.literal_eval(handle.read())


def _requirement_name(spec):
    return re.split(r"[<>=!~;\[ ]", spec.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _wheel_problems(wheel_path, manifest):
    """What is wrong with the wheel's name, metadata and contents (empty when nothing)."""
    problems = []
    version = manifest["version"]
    expected = f"odoo_addon_{ADDON}-{version}-py3-none-any.whl"
    if os.path.basename(wheel_path) != expected:
        problems.append(f"wheel is {os.path.basename(wheel_path)}, expected {expected}")
    with zipfile.ZipFile(wheel_path) as wheel:
        names = set(wheel.namelist())
        meta_name = next((n for n in names if n.endswith(".dist-info/METADATA")), None)
        if not meta_name:
            return problems + ["no METADATA in the wheel"]
        metadata = email.parser.Parser().parsestr(wheel.read(meta_name).decode("utf-8"))
    if metadata["Name"] != f"odoo-addon-{ADDON}":
        problems.append(f"distribution name {metadata['Name']!r}")
    if metadata["Version"] != version:
        problems.append(f"version {metadata['Version']} instead of the manifest's {version}")
    requires = metadata.get_all("Requires-Dist") or []
    required = {_requirement_name(r) for r in requires}
    if not any(r.replace(" ", "").startswith("odoo==18.0") for r in requires):
        problems.append(f"no requirement on Odoo 18.0 in {requires}")
    for dep in manifest.get("external_dependencies", {}).get("python", []):
        if _requirement_name(dep) not in required:
            problems.append(f"external dependency {dep} missing from Requires-Dist {requires}")
    prefix = f"odoo/addons/{ADDON}/"
    must_have = [*manifest.get("data", []), *manifest.get("demo", [])]
    must_have += ["__manifest__.py", "i18n/de.po", "static/description/icon.png"]
    must_have += ["static/description/index.html", "README.rst"]
    must_have += [
        os.path.relpath(path, os.path.join(ROOT, ADDON))
        for path in glob.glob(os.path.join(ROOT, ADDON, "static", "tests", "tours", "*.js"))
    ]
    for path in must_have:
        if prefix + path not in names:
            problems.append(f"{path} is missing from the wheel")
    for name in sorted(names):
        if (
            "/var/" in name
            or "mailjet_sandbox" in name
            or "test_sandbox" in name
            or name.endswith((".pyc", "pyproject.toml"))
            or not (name.startswith(prefix) or ".dist-info/" in name)
        ):
            problems.append(f"{name} does not belong in the wheel")
    return problems


_INSTALLED_PROBE = """
import sys
addons_dir = sys.argv[1]
import odoo
from odoo.tools import config
config.parse_config(["--addons-path=" + addons_dir])
from odoo.modules import module
module.initialize_sys_path()
import odoo.addons.ems_mailjet as addon
path = module.get_module_path("ems_mailjet")
assert path and path.startswith(addons_dir), f"Odoo finds ems_mailjet at {path}"
assert addon.__file__.startswith(addons_dir), addon.__file__
manifest = module.get_manifest("ems_mailjet")
assert manifest.get("installable"), "not installable"
for dep in manifest["external_dependencies"]["python"]:
    module.check_python_external_dependency(dep)
assert "ems_mailjet" in module.get_modules(), "not among Odoo's modules"
print(f"Odoo {odoo.release.version} sees ems_mailjet {manifest['version']} at {path}")
"""


def wheel(python):
    """Build the addon's wheel with whool, check it and install it where Odoo finds it."""
    manifest = _manifest()
    with tempfile.TemporaryDirectory(prefix="ems-wheel-") as tmp:
        dist = os.path.join(tmp, "dist")
        build = [python, "-m", "pip", "wheel", "-q", "--disable-pip-version-check"]
        build += ["--no-deps", "-w", dist]
        has_whool = _run([python, "-c", "import whool"], capture_output=True).returncode == 0
        if has_whool:  # from requirements-dev.txt: no download needed
            build.append("--no-build-isolation")
        if _run([*build, f"./{ADDON}"]).returncode != 0:
            print("pip wheel failed")
            return False
        wheels = glob.glob(os.path.join(dist, "*.whl"))
        if len(wheels) != 1:
            print(f"expected one wheel, got {wheels}")
            return False
        print(f"built {os.path.basename(wheels[0])}")
        problems = _wheel_problems(wheels[0], manifest)
        for problem in problems:
            print(f"wheel: {problem}")
        if problems:
            return False
        # pip install into a folder of its own, as a deployment would into site-packages;
        # Odoo's own packages come from the environment it runs in
        site = os.path.join(tmp, "site")
        install = [python, "-m", "pip", "install", "-q", "--disable-pip-version-check"]
        install += ["--no-deps", "--no-index", "--target", site, wheels[0]]
        if _run(install).returncode != 0:
            print("pip install of the wheel failed")
            return False
        # Odoo here is an editable install (a finder, not a folder on sys.path), so the
        # pip-installed odoo/addons folder is given to Odoo as an addons path, as OCA's
        # documentation says for Odoo installed from source
        addons_dir = os.path.join(site, "odoo", "addons")
        probe = _run([python, "-c", _INSTALLED_PROBE, addons_dir], cwd=tmp, timeout=120)
        return probe.returncode == 0


# -- the tours ---------------------------------------------------------------------------
def _browser():
    return next((shutil.which(name) for name in BROWSERS if shutil.which(name)), None)


def tour_prerequisites(python):
    """None when the tours can run, else why not (after trying to install what is missing)."""
    probe = [python, "-c", "import websocket"]
    if _run(probe, capture_output=True).returncode != 0:
        _run(
            [python, "-m", "pip", "install", "-q", "--disable-pip-version-check"]
            + ["websocket-client"]
        )
        if _run(probe, capture_output=True).returncode != 0:
            return "the websocket-client package could not be installed"
    if _browser():
        return None
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return f"no Chromium ({', '.join(BROWSERS)}) and no apt-get as root to install it"
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    apt = ["apt-get", "install", "-y", "-q", "--no-install-recommends", "chromium"]
    if _run(apt, env=env).returncode != 0:
        _run(["apt-get", "update", "-q"], env=env)
        _run(apt, env=env)
    if _browser():
        return None
    return "Debian's chromium could not be installed (apt-get install -y chromium failed)"
