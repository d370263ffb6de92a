"""The domain the actions read, loaded once by the action server instead of sent on every call.

Rasa sends its whole domain with each call to the action server (about 60 KB of JSON: every
answer's text, all slots and forms), which Rasa encodes and the action server decodes again on
every form turn, unless the action endpoint sets `enable_selective_domain`. Both endpoints files
set it and no action asks for the domain (`send_domain` in domain.yml), so Rasa sends only the
conversation; the action server loads the same `domain.yml` once, in the form Rasa would have sent
(`Domain.as_dict()`), and gives it to every call that came without one (issue #15,
docs/performance.md). The model and the action server must therefore come from the same checkout
or image, as `make run`, `make run-prod` and deploy/Dockerfile arrange.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

DEFAULT_DOMAIN_PATH = Path("domain.yml")


def load_domain(path: Path = DEFAULT_DOMAIN_PATH) -> dict[str, Any]:
    """The domain at `path` as Rasa sends it to the action server."""
    from rasa.shared.core.domain import Domain

    if not path.is_file():
        raise FileNotFoundError(f"no domain file at {path}")
    domain: dict[str, Any] = Domain.load(str(path)).as_dict()
    return domain


def with_domain(action_call: Any, domain: Mapping[str, Any]) -> None:
    """Give an action call that came without a domain this one (read only: shared by calls)."""
    if isinstance(action_call, dict) and "domain" not in action_call:
        action_call["domain"] = domain
