"""The engine is plain Python: no ``odoo`` import anywhere in ems_mailjet/services."""

import ast
import subprocess
import sys
from pathlib import Path

SERVICES = Path(__file__).resolve().parent.parent / "ems_mailjet" / "services"


def test_no_module_of_the_engine_imports_odoo():
    for path in sorted(SERVICES.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            assert not any(n == "odoo" or n.startswith("odoo.") for n in names), path.name


def test_engine_imports_with_odoo_made_unimportable():
    code = (
        "import sys, types\n"
        "sys.modules['odoo'] = None\n"  # any 'import odoo' now fails
        f"pkg = types.ModuleType('ems_mailjet'); pkg.__path__ = [{str(SERVICES.parent)!r}]\n"
        "sys.modules['ems_mailjet'] = pkg\n"
        "from ems_mailjet.services import sync_list, reconcile, MailjetGateway, MatchIndex\n"
        "from ems_mailjet.services import notes\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"
