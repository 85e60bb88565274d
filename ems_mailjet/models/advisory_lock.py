"""PostgreSQL advisory locks held for the duration of a ``with`` block (not a model)."""

import time
from contextlib import contextmanager

from psycopg2.extensions import TRANSACTION_STATUS_INERROR

from odoo.tools import SQL

_TRY = {
    False: "SELECT pg_try_advisory_lock(%s, %s)",
    True: "SELECT pg_try_advisory_lock_shared(%s, %s)",
}
_UNLOCK = {
    False: "SELECT pg_advisory_unlock(%s, %s)",
    True: "SELECT pg_advisory_unlock_shared(%s, %s)",
}


@contextmanager
def try_advisory_lock(cr, namespace, key, shared=False, wait=0.0):
    """Yield whether the lock ``(namespace, key)`` was free and is now ours; released on
    exit. Session-level, so it survives the commits a long run makes, and dies with the
    connection of a crashed process. ``shared``: any number of shared holders, but none
    while someone holds it exclusively. ``wait``: seconds to keep trying (0: once)."""
    deadline = time.monotonic() + wait
    while True:
        cr.execute(SQL(_TRY[shared], namespace, key))
        locked = cr.fetchone()[0]
        if locked or time.monotonic() >= deadline:
            break
        time.sleep(0.2)
    try:
        yield locked
    finally:
        if locked:
            if cr._cnx.info.transaction_status == TRANSACTION_STATUS_INERROR:
                # an error aborted the transaction (it is lost anyway): without this, the
                # lock would stay with the connection in Odoo's pool
                cr.rollback()
            cr.execute(SQL(_UNLOCK[shared], namespace, key))
