"""Our all-MiniLM-L6-v2 (an ONNX graph built from the packaged weights) gives the embeddings
sentence-transformers gives."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from bot.nlu.sentence_encoder import SentenceEncoder, intra_op_threads

REFERENCE = json.loads((Path(__file__).parent / "minilm-reference.json").read_text("utf-8"))


@pytest.fixture(scope="module")
def encoder() -> SentenceEncoder:
    return SentenceEncoder()


def test_reference_was_made_by_sentence_transformers() -> None:
    assert REFERENCE["made_with"].startswith("sentence-transformers ")


@pytest.mark.parametrize(
    "example", REFERENCE["examples"], ids=lambda example: repr(example["text"][:20])
)
def test_embedding_matches_sentence_transformers(encoder: SentenceEncoder, example: dict) -> None:
    expected = np.asarray(example["embedding"], dtype=np.float32)

    (actual,) = encoder.encode([example["text"]])

    np.testing.assert_allclose(actual, expected, atol=1e-5)


def test_a_batch_gives_each_text_its_own_embedding_in_order(encoder: SentenceEncoder) -> None:
    texts = [example["text"] for example in REFERENCE["examples"]]

    batch = encoder.encode(texts)

    for row, text in zip(batch, texts):
        np.testing.assert_allclose(row, encoder.encode([text])[0], atol=1e-5)


def test_embeddings_are_unit_length(encoder: SentenceEncoder) -> None:
    vectors = encoder.encode(["cookies", "delete my data", ""])

    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_no_texts_give_an_empty_matrix(encoder: SentenceEncoder) -> None:
    assert encoder.encode([]).shape == (0, encoder.dimension)


def test_requests_with_different_words_land_close(encoder: SentenceEncoder) -> None:
    delete, erase, weather = encoder.encode(
        ["please delete my data", "erase everything you hold on me", "will it rain tomorrow"]
    )

    assert float(delete @ erase) > float(delete @ weather) + 0.2


@pytest.mark.parametrize(
    ("environ", "threads"),
    [
        ({"OMP_NUM_THREADS": "1"}, 1),
        ({"OMP_NUM_THREADS": "3"}, 3),
        ({}, 0),
        ({"OMP_NUM_THREADS": "x"}, 0),
    ],
)
def test_a_serving_rasa_encodes_on_the_one_thread_it_set_and_training_on_every_core(
    environ: dict[str, str], threads: int
) -> None:
    assert intra_op_threads(environ) == threads


def test_each_layers_self_attention_is_one_fused_operator() -> None:
    import onnx
    from safetensors.numpy import load_file

    from bot.nlu.bert_graph import CONTRIB_DOMAIN, build_sentence_encoder
    from bot.nlu.sentence_encoder import packaged_model_dir

    model_dir = packaged_model_dir()
    config = json.loads((model_dir / "config.json").read_text("utf-8"))
    graph = onnx.load_from_string(
        build_sentence_encoder(load_file(str(model_dir / "model.safetensors")), config)
    ).graph
    fused = [node for node in graph.node if node.op_type == "Attention"]
    assert len(fused) == config["num_hidden_layers"]
    assert {node.domain for node in fused} == {CONTRIB_DOMAIN}
    assert not [node for node in graph.node if node.op_type == "Softmax"]
