"""``--state FILE``: load at start, save atomically in the background after changes."""

from __future__ import annotations

import json
import os
import tempfile
import threading
from typing import Any


class Persister:
    """Saves ``store.dump()`` to a file whenever ``store.dirty`` moved (at most every
    ``interval`` seconds) and once more on ``stop()``. Writes go to a temporary file in
    the same directory, then ``os.replace``."""

    def __init__(self, store: Any, path: str, interval: float = 0.25):
        self.store = store
        self.path = os.path.abspath(path)
        self.interval = interval
        self._saved = -1
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def load(self) -> bool:
        """Load the file if it exists; True if it did."""
        if not os.path.exists(self.path):
            return False
        with open(self.path, encoding="utf-8") as fh:
            data = json.load(fh)
        with self.store.lock:
            self.store.load(data)
            self._saved = self.store.dirty
        return True

    def save(self) -> None:
        """Write the state now if it changed since the last save."""
        with self.store.lock:
            if self.store.dirty == self._saved:
                return
            marker = self.store.dirty
            text = json.dumps(self.store.dump(), separators=(",", ":"))
        directory = os.path.dirname(self.path) or "."
        fd, tmp = tempfile.mkstemp(prefix=".mailjet-sandbox-", suffix=".tmp", dir=directory)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        self._saved = marker

    def start(self) -> None:
        """Start the background saver."""
        self._thread = threading.Thread(target=self._run, name="state-saver", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.save()

    def stop(self) -> None:
        """Stop the saver and write pending changes."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.save()
