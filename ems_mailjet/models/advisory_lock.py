"""A PostgreSQL advisory lock held for the duration of a ``with`` block (not a model)."""

from contextlib import contextmanager

from odoo.tools import SQL


@contextmanager
def try_advisory_lock(cr, namespace, key):
    """Yield whether the lock ``(namespace, key)`` was free and is now ours; released on
    exit. Session-level, so it survives the commits a long run makes."""
    cr.execute(SQL("SELECT pg_try_advisory_lock(%s, %s)", namespace, key))
    locked = cr.fetchone()[0]
    try:
        yield locked
    finally:
        if locked:
            cr.execute(SQL("SELECT pg_advisory_unlock(%s, %s)", namespace, key))
