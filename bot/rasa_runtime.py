"""`rasa` with one fix to Rasa 3.6's hot path: `python -m bot.rasa_runtime run ...`.

Rasa checks every answer of the action server against a JSON schema with
`jsonschema.validate(result, schema)`. That function first checks the schema itself against the
JSON Schema meta-schema, on every call, and builds a new validator: about 25 ms of CPU per
custom action on an idle core here (100 ms on this busy machine), a third of all of Rasa's CPU
under a realistic load, where forms call the action server on almost every turn. Checking the
schema once and keeping its validator gives the same verdicts (and the same `ValidationError`,
with the same message) for about 2 ms.

Everything else is Rasa's own command line; `make run`, `make run-prod`, the benchmark, the
e2e tests and deploy/compose.yml start Rasa this way. `install()` refuses to patch a Rasa whose
method it does not recognise, so an upgrade fails loudly instead of silently changing behaviour.
"""

from __future__ import annotations

import functools
import sys
from typing import Any

RASA_VERSIONS = ("3.6.",)
_INSTALLED = "_privacy_assistant_cached_validator"


@functools.lru_cache(maxsize=1)
def action_response_validator() -> Any:
    """The validator of Rasa's action server response schema, checked and built once."""
    from jsonschema import validators
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    validator_class = validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def _validate_action_result(self: Any, result: dict[str, Any]) -> bool:
    """Rasa's `RemoteAction._validate_action_result`, with the validator built once."""
    from jsonschema import ValidationError
    from rasa.shared.constants import DOCS_BASE_URL

    try:
        action_response_validator().validate(result)
        return True
    except ValidationError as e:
        e.message += (
            f". Failed to validate Action server response from API, "
            f"make sure your response from the Action endpoint is valid. "
            f"For more information about the format visit "
            f"{DOCS_BASE_URL}/custom-actions"
        )
        raise e


def install() -> None:
    """Replace `RemoteAction._validate_action_result` (idempotent)."""
    import rasa
    from rasa.core.actions.action import RemoteAction

    if getattr(RemoteAction, _INSTALLED, False):
        return
    if not rasa.__version__.startswith(RASA_VERSIONS) or not hasattr(
        RemoteAction, "_validate_action_result"
    ):
        raise RuntimeError(
            f"bot.rasa_runtime was written for Rasa {RASA_VERSIONS}, not {rasa.__version__}: "
            "check whether RemoteAction still validates with jsonschema.validate, then update it."
        )
    RemoteAction._validate_action_result = _validate_action_result
    setattr(RemoteAction, _INSTALLED, True)


def main() -> None:
    install()
    from rasa.__main__ import main as rasa_main

    sys.argv[0] = "rasa"
    rasa_main()


if __name__ == "__main__":
    main()
