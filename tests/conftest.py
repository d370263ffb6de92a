"""The tests' environment: local defaults are allowed (HELPDESK_ENV=development) for every
process the tests start, as `make run` does; tests of the production refusals remove it."""

from __future__ import annotations

import os

os.environ.setdefault("HELPDESK_ENV", "development")
