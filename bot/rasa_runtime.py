"""`rasa` with fixes to Rasa 3.6's hot path: `python -m bot.rasa_runtime run ...`.

Rasa checks every answer of the action server against a JSON schema with
`jsonschema.validate(result, schema)`. That function first checks the schema itself against the
JSON Schema meta-schema, on every call, and builds a new validator: about 25 ms of CPU per
custom action on an idle core here (100 ms on this busy machine), a third of all of Rasa's CPU
under a realistic load, where forms call the action server on almost every turn. Checking the
schema once and keeping its validator gives the same verdicts (and the same `ValidationError`,
with the same message) for about 2 ms.

Rasa handles every message it receives at once, interleaved on one event loop: when more arrive
than the CPU can handle, all of them share it and all of them finish late together (a burst of
32 first messages each took 25-30 s on this machine), and a form turn, which waits for the
action server twice, waits behind everyone else's CPU at each step. With
`RASA_MAX_CONCURRENT_MESSAGES=K` each worker handles at most K messages at a time and queues
the rest in arrival order, so under overload the early ones are answered early. K is 8 for a
single worker unless set (`unlimited` for Rasa's own behaviour): at 64 simulated customers on
one worker, p99 fell from 20.1 s to 7.3 s and p95 from 15.5 s to 5.3 s for about the same
replies/s (16.3 against 16.7) and CPU per reply (docs/performance.md); fewer leaves its core idle
while the admitted messages wait for the action server (K=2: 41 replies/s at 32 customers
against 49 with 8, SQLite, 2026-11-27). With several workers (SANIC_WORKERS, `make run-prod`),
K is 1 each: the other workers use the cores while one waits, and a turn never shares its core
with another of the same worker. The queue is first come, first served (bot/fair_queue.py:
asyncio's semaphore lets newcomers overtake a woken waiter), and a worker busier than another
hands connections off (bot/worker_balance.py). 2 workers on 2 cores at 32 customers, p95 / p99:
1,029 / 1,322 ms with K=16, 812 / 950 with 8, 610 / 688 with 2 (asyncio's semaphore, no
balancing); 478-541 / 510-575 ms with 1 and both, for as many replies/s (71-77).

Rasa turns every stored event (a dict) back into an `Event` with `Event.resolve_by_type`, which
walks the whole tree of Event subclasses (about 30 of them, checking each for abstract methods)
for every single event: loading a conversation of 50 events made 1,500 such walks, about half
of the CPU of a tracker load from PostgreSQL (scripts/profile_turns.py, issue #15). The walk's
answer only changes when a new Event subclass is imported, so `resolve_event_type` keeps a
table from type name to class, built by the same walk (the first class of a name wins, as in
Rasa's loop) and built again when a name is not in it.

Rasa's NumPy (OpenBLAS) would start one BLAS thread per core for every matrix product, even the
small ones of one chat message (the sentence encoder's): the threads spin between products, so
encoding one message cost 25 ms of CPU with 2 threads against 15 ms with one, for the same wall
time on an idle machine and more on a busy one (issue #15). A server scales over cores with
workers (SANIC_WORKERS), so `main()` runs BLAS in one thread unless OPENBLAS_NUM_THREADS (or
OMP_NUM_THREADS, MKL_NUM_THREADS) says otherwise.

Every NLU component that reads a message's features asks `Message.get_sparse_features` /
`get_dense_features`, which combine them into a new `Features` object starting from a
`copy.deepcopy` of the first: deep-copying a SciPy sparse matrix goes through `__reduce__` and
rebuilds every array, four times per message, about a tenth of the NLU's CPU (issue #15).
`combine_features` does the same combination from a plain copy of the first matrix (combining
builds new matrices, never writes into the old ones), so the message's own features stay
untouched as before.

Rasa's LogisticRegressionClassifier asks scikit-learn for `features @ coef_.T`; with `coef_`
stored row-major that transposed view makes SciPy copy the whole weight matrix (22 intents x
20,000 features) for every message: 0.46 ms of its 0.52 ms. `weights_column_major` stores the
loaded weights column-major (same values, same arithmetic), so the product reads them in place.
Before that product, its `_create_X` joins each message's word counts and sentence embedding
with SciPy's `hstack` and stacks the rows with `vstack`, general block-matrix code that cost
about three quarters of the classifier's time per message (profiled, issue #15).
`intent_feature_matrix` builds the same CSR matrix straight from the rows' arrays
(bot/nlu/feature_rows.py, which the answer selector uses too).

Rasa runs its model as a graph of components on every message (once for the NLU, and once per
predicted action for the policies, three or four times a turn) with dask's synchronous scheduler,
`dask.get`, whose bookkeeping (ordering the tasks, queues, per-task state) costs more than a
small graph's own work, and it formats the graph's inputs (the whole tracker) into a debug line
even when debug logging is off. `run_graph` evaluates the same graph with `dask.core.get`, dask's
plain in-order evaluation of the same task graph (the same tasks, each once, after the ones it
needs): the same replies, about 2 ms of CPU less per message (docs/performance.md).

When a custom action fails (the action server is down or dies mid-call), Rasa logs it, drops the
action's events and carries on, often saying nothing. The failed action marks the message's
output channel (`ACTION_FAILED`), so the chat channel (bot/chat/channel.py) can tell such a
silent turn from one that is silent by design (`/session_start`) and apologise only for the first.

Everything else is Rasa's own command line; `make run`, `make run-prod`, the benchmark, the
e2e tests and deploy/compose.yml start Rasa this way. `install()` refuses to patch a Rasa whose
method it does not recognise, so an upgrade fails loudly instead of silently changing behaviour.
"""

from __future__ import annotations

import functools
import os
import sys
from contextlib import nullcontext
from typing import Any

from bot.fair_queue import FairAdmission
from bot.worker_balance import WorkerLoad, attach

RASA_VERSIONS = ("3.6.",)
# Read by OpenBLAS / OpenMP / MKL when NumPy is first imported: set before Rasa imports it.
BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
_INSTALLED = "_privacy_assistant_cached_validator"
# Set on a message's output channel, to the action's name, when one of its custom actions failed.
ACTION_FAILED = "privacy_assistant_action_failed"


class ActionResponseValidator:
    """Checks an action server's answer against Rasa's schema, with the same verdict.

    Rasa's schema says each event must match exactly one of 23 event schemas (`oneOf`), each
    fixing the `event` field to its own constant, so a valid event matches the one named by its
    `event` field and no other. jsonschema tries all 23 for every event (most of the check's
    CPU); this validator checks a named event against its own schema alone (with the fields
    every event shares), and hands anything else, or any answer that fails, to the validator of
    Rasa's whole schema, which gives Rasa's verdict and message.
    """

    def __init__(self, schema: dict[str, Any]) -> None:
        from jsonschema import validators

        validator_class = validators.validator_for(schema)
        validator_class.check_schema(schema)
        self.whole = validator_class(schema)
        shared = dict(schema["properties"]["events"]["items"])
        choices = shared.pop("oneOf")
        names = [choice.get("properties", {}).get("event", {}).get("const") for choice in choices]
        self.by_event = {
            name: validator_class({**shared, "allOf": [choice]})
            for name, choice in zip(names, choices)
            if isinstance(name, str) and names.count(name) == 1
        }

    def _event_is_valid(self, event: Any) -> bool:
        name = event.get("event") if isinstance(event, dict) else None
        validator = self.by_event.get(name) if isinstance(name, str) else None
        return validator is not None and bool(validator.is_valid(event))

    def validate(self, result: Any) -> None:
        """Returns if `result` is valid; raises Rasa's `ValidationError` if not."""
        events = result.get("events") if isinstance(result, dict) else None
        if isinstance(events, list) and all(self._event_is_valid(e) for e in events):
            self.whole.validate({**result, "events": []})  # the rest of the answer
            return
        self.whole.validate(result)


@functools.lru_cache(maxsize=1)
def action_response_validator() -> ActionResponseValidator:
    """The validator of Rasa's action server response schema, checked and built once."""
    from rasa.core.actions.action import RemoteAction

    return ActionResponseValidator(RemoteAction.action_response_format_spec())


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


DEFAULT_MAX_CONCURRENT_MESSAGES = 8
# With several workers (SANIC_WORKERS > 1) each one handles one message at a time: the others
# use the cores while its message waits for the action server or the database.
DEFAULT_MAX_CONCURRENT_MESSAGES_PER_WORKER_OF_SEVERAL = 1


def sanic_workers(environ: Any = None) -> int:
    """How many worker processes Sanic forks (`SANIC_WORKERS`, 1 when unset)."""
    env = os.environ if environ is None else environ
    workers = env.get("SANIC_WORKERS", "").strip()
    return int(workers) if workers.isdigit() and int(workers) > 1 else 1


def max_concurrent_messages(environ: Any = None) -> int | None:
    """`RASA_MAX_CONCURRENT_MESSAGES` (a whole number >= 1), or None for `unlimited`; when
    unset, 8 for one worker and 1 each when SANIC_WORKERS runs several."""
    env = os.environ if environ is None else environ
    raw = env.get("RASA_MAX_CONCURRENT_MESSAGES", "")
    if not raw.strip():
        if sanic_workers(env) > 1:
            return DEFAULT_MAX_CONCURRENT_MESSAGES_PER_WORKER_OF_SEVERAL
        return DEFAULT_MAX_CONCURRENT_MESSAGES
    if raw.strip().lower() == "unlimited":
        return None
    value = int(raw)
    if value < 1:
        raise ValueError(f"RASA_MAX_CONCURRENT_MESSAGES must be at least 1, not {raw!r}")
    return value


_admission: dict[int, FairAdmission] = {}


def _admission_queue(limit: int) -> FairAdmission:
    """One queue per process (Sanic forks its workers after this module is imported)."""
    pid = os.getpid()
    if pid not in _admission:
        _admission.clear()
        _admission[pid] = FairAdmission(limit)
    return _admission[pid]


def limited(handler: Any, limit: int | None, load: WorkerLoad | None = None) -> Any:
    """`handler` (an async method), run at most `limit` at a time per process (None: no
    limit), the rest queued; counted in `load` while admitted or queued."""

    @functools.wraps(handler)
    async def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        if load is not None:
            load.enter()
        try:
            async with nullcontext() if limit is None else _admission_queue(limit):
                return await handler(self, *args, **kwargs)
        finally:
            if load is not None:
                load.leave()

    return wrapper


def balancing_workers(configure_app: Any, load: WorkerLoad) -> Any:
    """Rasa's `configure_app`, its app handing a busy worker's connections off (worker_balance)."""

    @functools.wraps(configure_app)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        app = configure_app(*args, **kwargs)
        attach(app, load)
        return app

    return wrapper


_event_classes: dict[str, Any] = {}


def _walk_event_classes() -> dict[str, Any]:
    from rasa.shared.core.events import Event
    from rasa.shared.utils.common import all_subclasses

    classes: dict[str, Any] = {}
    for event_class in all_subclasses(Event):
        classes.setdefault(event_class.type_name, event_class)
    return classes


def resolve_event_type(type_name: str, default: Any = None) -> Any:
    """Rasa's `Event.resolve_by_type`, with the subclass walk done once, not once per event."""
    event_class = _event_classes.get(type_name)
    if event_class is None:
        # Unknown so far: a subclass imported since the table was built, or no such event.
        _event_classes.clear()
        _event_classes.update(_walk_event_classes())
        event_class = _event_classes.get(type_name)
    if event_class is not None:
        return event_class
    if type_name == "topic":
        return None  # as Rasa: old TopicSet events are skipped
    if default is not None:
        return default
    raise ValueError(f"Unknown event name '{type_name}'.")


def combine_features(features: list[Any], featurizers: list[str]) -> Any:
    """Rasa's `Message._combine_features`, copying the first matrix instead of deep-copying the
    whole `Features` object around it."""
    from rasa.shared.nlu.training_data.features import Features

    combined = None
    for feature in features:
        if combined is None:
            combined = Features(
                feature.features.copy(), feature.type, feature.attribute, featurizers
            )
        else:
            combined.combine_with_features(feature)
    return combined


def weights_column_major(load: Any) -> Any:
    """A classifier's `load` whose loaded scikit-learn model keeps `coef_` column-major."""

    @functools.wraps(load)
    def wrapper(cls: Any, *args: Any, **kwargs: Any) -> Any:
        import numpy as np

        component = load(cls, *args, **kwargs)
        model = getattr(component, "clf", None)
        if model is not None and hasattr(model, "coef_"):
            model.coef_ = np.asfortranarray(model.coef_)
        return component

    return wrapper


def intent_feature_matrix(self: Any, messages: list[Any]) -> Any:
    """Rasa's `LogisticRegressionClassifier._create_X`: one row per message, its sparse sentence
    features then its dense ones, without SciPy's block stacking (bot/nlu/feature_rows.py)."""
    from bot.nlu.feature_rows import feature_row, message_row, stack_rows

    return stack_rows([message_row(message) or feature_row(None, None) for message in messages])


def run_graph(self: Any, inputs: Any = None, targets: Any = None) -> Any:
    """Rasa's `DaskGraphRunner.run`, evaluating the graph with `dask.core.get` and without the
    debug line."""
    import dask.core
    from rasa.engine.exceptions import GraphRunError

    run_targets = targets if targets else self._graph_schema.target_names
    graph = self._build_dask_graph(self._graph_schema.minimal_graph_schema(run_targets))
    if inputs:
        self._add_inputs_to_graph(inputs, graph)
    try:
        return dict(dask.core.get(graph, run_targets))
    except RuntimeError as e:
        raise GraphRunError("Error running runner.") from e


def marking_failures(run: Any) -> Any:
    """`RemoteAction.run`, marking the output channel with ACTION_FAILED (the action's name)
    when it raises."""

    @functools.wraps(run)
    async def wrapper(self: Any, output_channel: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return await run(self, output_channel, *args, **kwargs)
        except Exception:
            setattr(output_channel, ACTION_FAILED, self.name())
            raise

    return wrapper


def install() -> None:
    """Replace `RemoteAction._validate_action_result`, `Event.resolve_by_type`,
    `Message._combine_features`, LogisticRegressionClassifier's `_create_X` and
    `DaskGraphRunner.run`, load the classifier's weights column-major, mark failed custom actions
    (`RemoteAction.run`), limit messages in flight, and with several Sanic workers balance
    their load (`rasa.core.run.configure_app`; idempotent)."""
    import rasa
    import rasa.core.run
    from rasa.core.actions.action import RemoteAction
    from rasa.core.processor import MessageProcessor
    from rasa.engine.runner.dask import DaskGraphRunner
    from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
    from rasa.shared.core.events import Event
    from rasa.shared.nlu.training_data.message import Message

    if getattr(RemoteAction, _INSTALLED, False):
        return
    if (
        not rasa.__version__.startswith(RASA_VERSIONS)
        or not hasattr(RemoteAction, "_validate_action_result")
        or not hasattr(Event, "resolve_by_type")
        or not hasattr(Message, "_combine_features")
        or not hasattr(LogisticRegressionClassifier, "_create_X")
        or not hasattr(DaskGraphRunner, "_build_dask_graph")
        or not hasattr(DaskGraphRunner, "_add_inputs_to_graph")
        or not hasattr(MessageProcessor, "handle_message")
        or not hasattr(rasa.core.run, "configure_app")
    ):
        raise RuntimeError(
            f"bot.rasa_runtime was written for Rasa {RASA_VERSIONS}, not {rasa.__version__}: "
            "check whether RemoteAction still validates with jsonschema.validate, then update it."
        )
    RemoteAction._validate_action_result = _validate_action_result
    Event.resolve_by_type = staticmethod(resolve_event_type)
    Message._combine_features = staticmethod(combine_features)
    load = LogisticRegressionClassifier.__dict__["load"].__func__
    LogisticRegressionClassifier.load = classmethod(weights_column_major(load))
    LogisticRegressionClassifier._create_X = intent_feature_matrix
    DaskGraphRunner.run = run_graph
    RemoteAction.run = marking_failures(RemoteAction.run)
    limit = max_concurrent_messages()
    # Several workers: count each one's messages in memory they share (made here, before Sanic
    # forks them), so a busier one hands connections off (bot/worker_balance.py).
    worker_load = WorkerLoad() if sanic_workers() > 1 else None
    if limit is not None or worker_load is not None:
        # Inside Rasa's conversation lock (Agent.handle_message takes it, then calls this): a
        # message waiting for its conversation's lock, which a dead worker may hold for the
        # lock's lifetime, does not hold one of the worker's places meanwhile.
        MessageProcessor.handle_message = limited(
            MessageProcessor.handle_message, limit, worker_load
        )
    if worker_load is not None:
        rasa.core.run.configure_app = balancing_workers(rasa.core.run.configure_app, worker_load)
    setattr(RemoteAction, _INSTALLED, True)


def single_threaded_blas(environ: Any = None) -> None:
    """One BLAS thread per process, unless one of BLAS_THREAD_VARIABLES is set already (then
    the operator chose: nothing changes)."""
    env = os.environ if environ is None else environ
    if any(variable in env for variable in BLAS_THREAD_VARIABLES):
        return
    for variable in BLAS_THREAD_VARIABLES:
        env[variable] = "1"


def main() -> None:
    single_threaded_blas()
    install()
    from rasa.__main__ import main as rasa_main

    sys.argv[0] = "rasa"
    rasa_main()


if __name__ == "__main__":
    main()
