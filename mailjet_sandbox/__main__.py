"""``python -m mailjet_sandbox --api-key K --api-secret S [--port 0] ...``."""

from .server import main

raise SystemExit(main())
