"""The sandbox is an installed package; no file of ours edits the import path."""

import importlib.metadata
import re
from pathlib import Path

import mailjet_sandbox

ROOT = Path(__file__).resolve().parent.parent
PATH_EDIT = re.compile(r"sys\.path\.(insert|append|extend)|sys\.path\s*[+]?=")


def test_sandbox_is_installed_from_this_checkout():
    distribution = importlib.metadata.distribution("mailjet-sandbox")
    assert distribution.version == mailjet_sandbox.__version__
    assert Path(mailjet_sandbox.__file__).resolve().parent == ROOT / "mailjet_sandbox"


def test_no_file_edits_the_import_path():
    sources = [
        path
        for folder in ("tests", "ems_mailjet", "scripts", "mailjet_sandbox")
        for path in (ROOT / folder).rglob("*.py")
    ]
    assert len(sources) > 50
    offenders = [
        str(path.relative_to(ROOT))
        for path in sources
        if path.name != "test_packaging.py" and PATH_EDIT.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
