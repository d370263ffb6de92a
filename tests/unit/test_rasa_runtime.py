"""`python -m bot.rasa_runtime`: Rasa's action response check, with the validator built once."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from jsonschema import ValidationError, validate
from rasa.core.actions.action import RemoteAction

from bot import rasa_runtime
from bot.worker_balance import WorkerLoad

VALID: list[dict[str, Any]] = [
    {"events": [], "responses": []},
    {
        "events": [
            {"event": "slot", "name": "email", "value": "a@example.com"},
            {"event": "active_loop", "name": None},
        ],
        "responses": [{"response": "utter_ask_email", "buttons": []}],
    },
]
INVALID: list[dict[str, Any]] = [
    {"events": [{"event": "slot", "value": "no name"}]},
    {"events": "not a list"},
    {"events": [{"event": "no_such_event"}]},
]


@pytest.fixture(autouse=True)
def installed() -> None:
    rasa_runtime.install()


@pytest.mark.parametrize("result", VALID)
def test_valid_answers_pass_as_with_jsonschema_validate(result: dict[str, Any]) -> None:
    validate(result, RemoteAction.action_response_format_spec())  # Rasa's own check agrees
    assert RemoteAction(name="x", action_endpoint=None)._validate_action_result(result)


@pytest.mark.parametrize("result", INVALID)
def test_invalid_answers_fail_with_rasas_message(result: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        validate(result, RemoteAction.action_response_format_spec())
    with pytest.raises(ValidationError, match="Failed to validate Action server response"):
        RemoteAction(name="x", action_endpoint=None)._validate_action_result(result)


EVENTS: list[Any] = [
    {"event": "slot", "name": "email", "value": "a@example.com"},
    {"event": "slot", "name": "email", "value": None, "timestamp": None},
    {"event": "slot", "value": "no name"},
    {"event": "slot", "name": 3, "value": "x"},
    {"event": "active_loop", "name": None},
    {"event": "active_loop", "name": "privacy_request_form"},
    {"event": "action", "name": "utter_greet", "policy": None, "confidence": 1.0},
    {"event": "action", "name": None},
    {"event": "bot", "text": "hi", "data": {}, "metadata": {}},
    {"event": "bot", "text": 5},
    {"event": "user", "text": "hi", "parse_data": {"intent": {"name": "greet"}}},
    {"event": "user", "text": "hi", "parse_data": "not an object"},
    {"event": "followup", "name": "action_listen"},
    {"event": "reset_slots"},
    {"event": "restart", "timestamp": "yesterday"},
    {"event": "session_started", "metadata": None},
    {"event": "reminder", "intent": "x", "date_time": "2026-11-27T10:00:00"},
    {"event": "no_such_event"},
    {"event": None},
    {"name": "email"},
    "slot",
    None,
]


@pytest.mark.parametrize("event", EVENTS, ids=repr)
@pytest.mark.parametrize("responses", [[], "not a list"])
def test_every_answer_gets_the_verdict_of_rasas_schema(event: Any, responses: Any) -> None:
    schema = RemoteAction.action_response_format_spec()
    ours = rasa_runtime.action_response_validator()
    valid_event = VALID[1]["events"][0]

    for result in ({"events": [event], "responses": responses}, {"events": [valid_event, event]}):
        try:
            validate(result, schema)  # what Rasa calls
            expected = True
        except ValidationError:
            expected = False
        try:
            ours.validate(result)
            verdict = True
        except ValidationError:
            verdict = False
        assert verdict == expected, result


def test_the_schema_is_checked_once_not_per_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    validator = rasa_runtime.action_response_validator()
    checks: list[object] = []
    monkeypatch.setattr(type(validator.whole), "check_schema", lambda *a, **k: checks.append(a))
    for result in VALID * 3:
        RemoteAction(name="x", action_endpoint=None)._validate_action_result(result)
    assert checks == [] and rasa_runtime.action_response_validator() is validator


def test_install_is_idempotent() -> None:
    rasa_runtime.install()
    assert RemoteAction._validate_action_result is rasa_runtime._validate_action_result


@pytest.mark.parametrize(
    ("raw", "expected"), [("", 8), ("4", 4), (" 1 ", 1), ("unlimited", None), (" Unlimited ", None)]
)
def test_the_message_limit_comes_from_the_environment(raw: str, expected: int | None) -> None:
    assert rasa_runtime.max_concurrent_messages({"RASA_MAX_CONCURRENT_MESSAGES": raw}) == expected


def test_the_limit_is_8_when_unset() -> None:
    assert rasa_runtime.max_concurrent_messages({}) == 8
    assert rasa_runtime.max_concurrent_messages({"SANIC_WORKERS": "1"}) == 8


def test_with_several_workers_each_handles_one_message_at_a_time_unless_told() -> None:
    assert rasa_runtime.max_concurrent_messages({"SANIC_WORKERS": "2"}) == 1
    assert rasa_runtime.max_concurrent_messages({"SANIC_WORKERS": "4"}) == 1
    told = {"SANIC_WORKERS": "2", "RASA_MAX_CONCURRENT_MESSAGES": "6"}
    assert rasa_runtime.max_concurrent_messages(told) == 6
    assert rasa_runtime.max_concurrent_messages({"SANIC_WORKERS": "many"}) == 8


def test_a_limit_below_one_is_refused() -> None:
    with pytest.raises(ValueError):
        rasa_runtime.max_concurrent_messages({"RASA_MAX_CONCURRENT_MESSAGES": "0"})


async def test_limited_messages_run_at_most_k_at_once_in_arrival_order() -> None:
    running: list[int] = []
    most = 0
    started: list[int] = []

    async def handle(self: object, number: int) -> int:
        nonlocal most
        started.append(number)
        running.append(number)
        most = max(most, len(running))
        await asyncio.sleep(0.01)
        running.remove(number)
        return number

    wrapped = rasa_runtime.limited(handle, 2)
    results = await asyncio.gather(*(wrapped(None, n) for n in range(8)))
    assert results == list(range(8))
    assert most == 2
    assert started == list(range(8))


def test_blas_runs_in_one_thread_by_default() -> None:
    environ: dict[str, str] = {}

    rasa_runtime.single_threaded_blas(environ)

    assert environ == dict.fromkeys(rasa_runtime.BLAS_THREAD_VARIABLES, "1")


def test_a_thread_count_the_operator_set_is_kept() -> None:
    environ = {"OMP_NUM_THREADS": "4"}

    rasa_runtime.single_threaded_blas(environ)

    assert environ == {"OMP_NUM_THREADS": "4"}


def _rasa_resolve_by_type(type_name: str, default: Any = None) -> Any:
    """Rasa 3.6's own `Event.resolve_by_type`, as it is written there."""
    from rasa.shared.core.events import Event
    from rasa.shared.utils.common import all_subclasses

    for cls in all_subclasses(Event):
        if cls.type_name == type_name:
            return cls
    if type_name == "topic":
        return None
    if default is not None:
        return default
    raise ValueError(f"Unknown event name '{type_name}'.")


def test_every_event_type_resolves_to_the_class_rasa_finds() -> None:
    from rasa.shared.core.events import Event
    from rasa.shared.utils.common import all_subclasses

    names = {cls.type_name for cls in all_subclasses(Event)}

    assert len(names) > 20
    for name in names:
        assert Event.resolve_by_type(name) is _rasa_resolve_by_type(name)


def test_unknown_event_types_behave_as_in_rasa() -> None:
    from rasa.shared.core.events import Event, UserUttered

    assert Event.resolve_by_type("topic") is None
    assert Event.resolve_by_type("no_such_event", UserUttered) is UserUttered
    with pytest.raises(ValueError, match="Unknown event name 'no_such_event'"):
        Event.resolve_by_type("no_such_event")


def test_stored_events_load_as_before() -> None:
    from rasa.shared.core.events import ActionExecuted, Event, SlotSet, UserUttered

    stored = [
        UserUttered("hi", {"name": "greet", "confidence": 1.0}).as_dict(),
        ActionExecuted("utter_greet").as_dict(),
        SlotSet("email", "a@example.com").as_dict(),
    ]

    assert [type(Event.from_parameters(event)) for event in stored] == [
        UserUttered,
        ActionExecuted,
        SlotSet,
    ]


class _Collector:
    pass


async def test_a_failing_custom_action_marks_the_messages_output_channel() -> None:
    async def failing_run(self: Any, output_channel: Any, *args: Any) -> list[Any]:
        raise ConnectionError("the action server is down")

    async def working_run(self: Any, output_channel: Any, *args: Any) -> list[Any]:
        return []

    class Submission:
        def name(self) -> str:
            return "action_submit_privacy_request"

    failed, fine = _Collector(), _Collector()
    with pytest.raises(ConnectionError):
        await rasa_runtime.marking_failures(failing_run)(Submission(), failed, None, None, None)
    assert await rasa_runtime.marking_failures(working_run)(Submission(), fine, None, None) == []
    assert getattr(failed, rasa_runtime.ACTION_FAILED) == "action_submit_privacy_request"
    assert not hasattr(fine, rasa_runtime.ACTION_FAILED)


def test_install_marks_remote_action_failures() -> None:
    rasa_runtime.install()
    assert RemoteAction.run.__name__ == "run" and hasattr(RemoteAction.run, "__wrapped__")


def _rasas_combine_features(features: list[Any], featurizers: list[str]) -> Any:
    """Rasa 3.6's `Message._combine_features`, as it was before `install()`."""
    import copy

    combined = None
    for feature in features:
        if combined is None:
            combined = copy.deepcopy(feature)
            combined.origin = featurizers
        else:
            combined.combine_with_features(feature)
    return combined


def _sentence_features(kind: str) -> list[Any]:
    import numpy as np
    import scipy.sparse
    from rasa.shared.nlu.training_data.features import Features

    if kind == "sparse":
        rows = {"words": [[1.0, 0.0, 2.0]], "chars": [[0.0, 3.0]]}
        return [
            Features(scipy.sparse.coo_matrix(np.array(r)), "sentence", "text", o)
            for o, r in rows.items()
        ]
    rows = {"embedding": [[0.5, -0.5]], "more": [[0.25]]}
    return [Features(np.array(r), "sentence", "text", o) for o, r in rows.items()]


def _dense(matrix: Any) -> Any:
    return matrix.toarray() if hasattr(matrix, "toarray") else matrix


@pytest.mark.parametrize("kind", ["sparse", "dense"])
@pytest.mark.parametrize("count", [0, 1, 2])
def test_features_combine_as_in_rasa_and_the_message_keeps_its_own(kind: str, count: int) -> None:
    features = _sentence_features(kind)[:count]
    before = [(_dense(f.features).copy(), f.origin) for f in features]
    featurizers = [str(f.origin) for f in features]

    ours = rasa_runtime.combine_features(features, featurizers)
    rasas = _rasas_combine_features(features, featurizers)

    if count == 0:
        assert ours is None and rasas is None
        return
    assert (_dense(ours.features) == _dense(rasas.features)).all()
    assert type(ours.features) is type(rasas.features)
    assert (ours.type, ours.attribute, ours.origin) == (rasas.type, rasas.attribute, rasas.origin)
    for feature, (matrix, origin) in zip(features, before):  # the inputs are untouched
        assert (_dense(feature.features) == matrix).all() and feature.origin == origin


def test_a_loaded_intent_classifier_keeps_its_weights_column_major_and_its_answers() -> None:
    import numpy as np
    import scipy.sparse
    from sklearn.linear_model import LogisticRegression

    features = scipy.sparse.random(60, 400, density=0.05, format="csr", random_state=1)
    labels = np.arange(60) % 3
    trained = LogisticRegression(max_iter=200).fit(features, labels)
    expected = trained.predict_proba(features)

    class Component:
        clf = trained

    loaded = rasa_runtime.weights_column_major(lambda cls: Component())(None)

    assert loaded.clf.coef_.flags["F_CONTIGUOUS"]
    assert (loaded.clf.predict_proba(features) == expected).all()


def test_install_loads_intent_classifiers_column_major() -> None:
    from rasa.nlu.classifiers.logistic_regression_classifier import (
        LogisticRegressionClassifier,
    )

    rasa_runtime.install()

    assert hasattr(LogisticRegressionClassifier.load, "__wrapped__")


def _rasas_create_x(messages: list[Any]) -> Any:
    """Rasa 3.6's `LogisticRegressionClassifier._create_X`, as it was before `install()`."""
    from rasa.shared.nlu.constants import TEXT
    from scipy.sparse import csr_matrix, hstack, vstack

    rows = []
    for message in messages:
        sparse = message.get_sparse_features(attribute=TEXT)[1]
        dense = message.get_dense_features(attribute=TEXT)[1]
        rows.append(
            hstack(
                [
                    csr_matrix(sparse.features if sparse else []),
                    csr_matrix(dense.features if dense else []),
                ]
            )
        )
    return vstack(rows)


def _message_with(counts: list[float] | None, embedding: list[float] | None) -> Any:
    import numpy as np
    import scipy.sparse
    from rasa.shared.nlu.training_data.features import Features
    from rasa.shared.nlu.training_data.message import Message

    features = []
    if counts is not None:
        matrix = scipy.sparse.coo_matrix(np.array([counts]))
        features.append(Features(matrix, "sentence", "text", "word_counts"))
    if embedding is not None:
        features.append(Features(np.array([embedding]), "sentence", "text", "embedding"))
    return Message(data={"text": "a question"}, features=features)


@pytest.mark.parametrize(
    "rows",
    [
        [([0.0, 2.0, 0.0, 1.0], [0.5, -0.25, 0.0])],  # one message; a zero in the embedding
        [([1.0, 0.0, 0.0, 0.0], [0.1, 0.2, 0.3]), ([0.0, 0.0, 0.0, 0.0], [0.0, -1.0, 1.0])],
        [([3.0, 0.0, 1.0], None), ([0.0, 1.0, 0.0], None)],  # word counts only
        [(None, [0.5, 0.5]), (None, [-0.5, 0.0])],  # embedding only
    ],
)
def test_intent_features_are_the_matrix_rasa_builds(rows: list[Any]) -> None:
    messages = [_message_with(counts, embedding) for counts, embedding in rows]

    ours = rasa_runtime.intent_feature_matrix(None, messages)
    rasas = _rasas_create_x(messages)

    assert ours.format == "csr" and ours.shape == rasas.shape
    assert (ours.toarray() == rasas.toarray()).all()
    rasas = rasas.tocsr()
    assert (ours.indptr == rasas.indptr).all() and (ours.indices == rasas.indices).all()


def test_the_intent_classifier_answers_the_same_from_either_matrix() -> None:
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    generator = np.random.default_rng(7)
    messages = [
        _message_with(
            list(generator.integers(0, 3, 30).astype(float)), list(generator.normal(size=8))
        )
        for _ in range(40)
    ]
    labels = np.arange(40) % 4
    model = LogisticRegression(max_iter=300).fit(_rasas_create_x(messages), labels)
    model.coef_ = np.asfortranarray(model.coef_)  # as loaded (weights_column_major)

    ours = model.predict_proba(rasa_runtime.intent_feature_matrix(None, messages))

    assert (ours == model.predict_proba(_rasas_create_x(messages))).all()


def test_install_builds_the_intent_features_without_block_stacking() -> None:
    from rasa.nlu.classifiers.logistic_regression_classifier import (
        LogisticRegressionClassifier,
    )

    rasa_runtime.install()

    assert LogisticRegressionClassifier._create_X is rasa_runtime.intent_feature_matrix


class _GraphOfThree:
    """What `run_graph` reads off a DaskGraphRunner: a graph whose nodes return (name, value)
    from their parents' (name, value) pairs, as Rasa's GraphNode does; an input `x`."""

    def __init__(self, fail: bool = False) -> None:
        from types import SimpleNamespace

        from rasa.engine.runner.dask import DaskGraphRunner

        self.calls: list[str] = []
        self._fail = fail
        self._graph_schema = SimpleNamespace(
            target_names=["doubled", "summed"], minimal_graph_schema=lambda targets: targets
        )
        self._add_inputs_to_graph = DaskGraphRunner._add_inputs_to_graph

    def _node(self, name: str, compute: Any) -> Any:
        def run(*parents: tuple[str, Any]) -> tuple[str, Any]:
            self.calls.append(name)
            if self._fail and name == "summed":
                raise RuntimeError("a component failed")
            return name, compute(*(value for _, value in parents))

        return run

    def _build_dask_graph(self, targets: list[str]) -> dict[str, Any]:
        return {
            "plus_one": (self._node("plus_one", lambda x: x + 1), "x"),
            "doubled": (self._node("doubled", lambda a: a * 2), "plus_one"),
            "summed": (self._node("summed", lambda a, b: a + b), "plus_one", "doubled"),
        }


def test_the_graph_runs_each_node_once_and_answers_as_daskget_does() -> None:
    import dask

    ours = _GraphOfThree()
    result = rasa_runtime.run_graph(ours, inputs={"x": 4})

    graph = _GraphOfThree()
    dasks_graph = graph._build_dask_graph([])
    graph._add_inputs_to_graph({"x": 4}, dasks_graph)
    expected = dict(dask.get(dasks_graph, ["doubled", "summed"]))

    assert result == expected == {"doubled": 10, "summed": 15}
    assert sorted(ours.calls) == ["doubled", "plus_one", "summed"]
    assert rasa_runtime.run_graph(_GraphOfThree(), {"x": 0}, ["doubled"]) == {"doubled": 2}


def test_a_failing_component_is_rasas_graph_run_error() -> None:
    from rasa.engine.exceptions import GraphRunError

    with pytest.raises(GraphRunError):
        rasa_runtime.run_graph(_GraphOfThree(fail=True), inputs={"x": 1})


def test_install_runs_rasas_graphs_in_order_without_the_scheduler() -> None:
    from rasa.engine.runner.dask import DaskGraphRunner

    rasa_runtime.install()

    assert DaskGraphRunner.run is rasa_runtime.run_graph


async def test_limited_messages_count_in_the_workers_load_while_admitted_or_queued() -> None:
    load = WorkerLoad()
    seen: list[int] = []
    release = asyncio.Event()

    async def handle(self: object, fail: bool) -> None:
        seen.append(load.count())
        await release.wait()
        if fail:
            raise RuntimeError("the handler failed")

    wrapped = rasa_runtime.limited(handle, 1, load)
    tasks = [asyncio.create_task(wrapped(None, n == 0)) for n in range(3)]
    await asyncio.sleep(0.01)
    assert load.count() == 3  # one admitted, two queued
    release.set()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert isinstance(results[0], RuntimeError)
    assert load.count() == 0  # a failed message leaves the count too
    assert seen == [1, 2, 1]  # as each starts: the first alone, then itself and those behind


def test_with_several_workers_rasas_app_hands_busy_connections_off() -> None:
    from sanic import Sanic

    made: list[Sanic] = []

    def configure_app(*args: Any, **kwargs: Any) -> Sanic:
        made.append(Sanic(f"balanced_{len(made)}"))
        return made[-1]

    app = rasa_runtime.balancing_workers(configure_app, WorkerLoad())()
    assert app is made[0]
    assert [m.__name__ for m in app.response_middleware] == ["hand_off_when_busier"]


def test_messages_are_admitted_inside_their_conversations_lock() -> None:
    """A message waiting for its conversation's lock (held by a dead worker, perhaps, until it
    expires) must not hold a place in the worker's queue meanwhile."""
    from rasa.core.agent import Agent
    from rasa.core.processor import MessageProcessor

    assert hasattr(MessageProcessor.handle_message, "__wrapped__")
    assert not hasattr(Agent.handle_message, "__wrapped__")
