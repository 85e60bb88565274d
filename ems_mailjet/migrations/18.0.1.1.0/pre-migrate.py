"""Runs keep the text log they wrote before 18.0.1.1.0.

Since 18.0.1.1.0 a run's log is a list of lines (``ems.mailjet.sync.run.line``) read in
the reader's language, and ``log`` is computed from them. The text older runs stored in
the ``log`` column is kept as ``legacy_log`` and still shown on their form.
"""

from odoo.tools import SQL
from odoo.tools.sql import column_exists, rename_column


def migrate(cr, version):
    if not version:
        return
    table = "ems_mailjet_sync_run"
    if column_exists(cr, table, "log") and not column_exists(cr, table, "legacy_log"):
        rename_column(cr, table, "log", "legacy_log")
        cr.execute(
            SQL("UPDATE %s SET legacy_log = NULL WHERE legacy_log = ''", SQL.identifier(table))
        )
