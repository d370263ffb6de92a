"""The all-MiniLM-L6-v2 forward pass as an ONNX graph, built from the packaged weights.

sentence-transformers' model is a plain BERT encoder followed by mean pooling over the real tokens
and L2 normalisation. This module writes exactly that as ONNX operators (opset 17), with the
weights of `model.safetensors` as initialisers, so ONNX Runtime can run it: about a third of the
CPU of the same pass in NumPy for one chat message, because it runs the whole graph in native code
with fused LayerNorm/GELU kernels and no Python between the matrix products (docs/performance.md).
Nothing is downloaded or exported with PyTorch: the graph is built in memory when the encoder
loads, from the same files the tokenizer comes from.

Inputs: `input_ids` (int64, batch x tokens) and `attention_mask` (float32, 1 for a real token,
0 for padding). Output: `embedding` (float32, batch x hidden width), unit length.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np
from numpy.typing import ArrayLike
from onnx import ModelProto, NodeProto, TensorProto, helper, numpy_helper

INPUT_IDS = "input_ids"
ATTENTION_MASK = "attention_mask"
EMBEDDING = "embedding"
OPSET = 17  # the first with LayerNormalization as one operator
_LAYER_NORM_EPS = 1e-12
_MASKED = -1e9  # added to the attention scores of padding tokens


@dataclass
class _GraphWriter:
    """Collects nodes and initialisers; every intermediate gets a fresh name."""

    weights: Mapping[str, np.ndarray]
    nodes: list[NodeProto] = field(default_factory=list)
    initializers: list[TensorProto] = field(default_factory=list)
    _count: int = 0

    def constant(self, value: ArrayLike, name: str | None = None) -> str:
        self._count += 1
        name = name or f"const_{self._count}"
        array = np.asarray(value)
        if array.dtype == np.float64:
            array = array.astype(np.float32)
        self.initializers.append(numpy_helper.from_array(array, name))
        return name

    def op(self, op_type: str, *inputs: str, output: str | None = None, **attributes: Any) -> str:
        self._count += 1
        output = output or f"{op_type.lower()}_{self._count}"
        self.nodes.append(helper.make_node(op_type, list(inputs), [output], **attributes))
        return output

    def dense(self, x: str, prefix: str, scale: float = 1.0) -> str:
        """x @ W.T + b for torch.nn.Linear weights stored (out, in)."""
        weight = (self.weights[f"{prefix}.weight"].T * scale).astype(np.float32)
        bias = (self.weights[f"{prefix}.bias"] * scale).astype(np.float32)
        product = self.op("MatMul", x, self.constant(np.ascontiguousarray(weight), f"{prefix}.W"))
        return self.op("Add", product, self.constant(bias, f"{prefix}.b"))

    def heads(self, x: str, prefix: str, split: str, perm: list[int], scale: float = 1.0) -> str:
        """The projection `prefix` of x, split into attention heads and transposed by `perm`."""
        return self.op(
            "Transpose", self.op("Reshape", self.dense(x, prefix, scale), split), perm=perm
        )

    def layer_norm(self, x: str, prefix: str) -> str:
        return self.op(
            "LayerNormalization",
            x,
            self.constant(self.weights[f"{prefix}.weight"], f"{prefix}.gamma"),
            self.constant(self.weights[f"{prefix}.bias"], f"{prefix}.beta"),
            axis=-1,
            epsilon=_LAYER_NORM_EPS,
        )

    def gelu(self, x: str) -> str:
        """The exact (erf) GELU BERT uses: x * (1 + erf(x / sqrt 2)) / 2."""
        scaled = self.op("Div", x, self.constant(np.float32(np.sqrt(2.0))))
        one_plus_erf = self.op("Add", self.op("Erf", scaled), self.constant(np.float32(1.0)))
        return self.op("Mul", self.op("Mul", x, one_plus_erf), self.constant(np.float32(0.5)))


def build_sentence_encoder(weights: Mapping[str, np.ndarray], config: Mapping[str, int]) -> bytes:
    """The serialised ONNX model: BERT (`config`'s sizes) + mean pooling + L2 normalisation."""
    g = _GraphWriter(weights)
    width = int(config["hidden_size"])
    heads = int(config["num_attention_heads"])
    head_width = width // heads

    length = g.op("Gather", g.op("Shape", INPUT_IDS), g.constant(np.int64(1)), axis=0)
    positions = g.op("Range", g.constant(np.int64(0)), length, g.constant(np.int64(1)))
    words = g.op("Gather", g.constant(weights["embeddings.word_embeddings.weight"]), INPUT_IDS)
    placed = g.op(
        "Add",
        words,
        g.op("Gather", g.constant(weights["embeddings.position_embeddings.weight"]), positions),
    )
    typed = g.op("Add", placed, g.constant(weights["embeddings.token_type_embeddings.weight"][0]))
    hidden = g.layer_norm(typed, "embeddings.LayerNorm")

    # (batch, 1, 1, tokens): 0 for a real token, very negative for padding.
    padding = g.op(
        "Sub", g.constant(np.float32(1.0)), g.op("Unsqueeze", ATTENTION_MASK, g.constant([1, 2]))
    )
    attention_bias = g.op("Mul", padding, g.constant(np.float32(_MASKED)))
    split_heads = g.constant(np.array([0, 0, heads, head_width], dtype=np.int64))
    join_heads = g.constant(np.array([0, 0, width], dtype=np.int64))
    for index in range(int(config["num_hidden_layers"])):
        prefix = f"encoder.layer.{index}"

        attention = f"{prefix}.attention.self"
        query = g.heads(
            hidden, f"{attention}.query", split_heads, [0, 2, 1, 3], 1 / np.sqrt(head_width)
        )
        key = g.heads(hidden, f"{attention}.key", split_heads, [0, 2, 3, 1])  # for query @ key
        value = g.heads(hidden, f"{attention}.value", split_heads, [0, 2, 1, 3])
        scores = g.op("Add", g.op("MatMul", query, key), attention_bias)
        context = g.op("MatMul", g.op("Softmax", scores, axis=-1), value)
        joined = g.op("Reshape", g.op("Transpose", context, perm=[0, 2, 1, 3]), join_heads)
        attended = g.op("Add", g.dense(joined, f"{prefix}.attention.output.dense"), hidden)
        attended = g.layer_norm(attended, f"{prefix}.attention.output.LayerNorm")
        expanded = g.gelu(g.dense(attended, f"{prefix}.intermediate.dense"))
        hidden = g.layer_norm(
            g.op("Add", g.dense(expanded, f"{prefix}.output.dense"), attended),
            f"{prefix}.output.LayerNorm",
        )

    # Mean over the real tokens, then unit length.
    token_mask = g.op("Unsqueeze", ATTENTION_MASK, g.constant([2]))
    summed = g.op("ReduceSum", g.op("Mul", hidden, token_mask), g.constant([1]), keepdims=0)
    counts = g.op("ReduceSum", ATTENTION_MASK, g.constant([1]), keepdims=1)
    pooled = g.op("Div", summed, g.op("Max", counts, g.constant(np.float32(1e-9))))
    norms = g.op("ReduceL2", pooled, axes=[1], keepdims=1)
    g.op("Div", pooled, g.op("Max", norms, g.constant(np.float32(1e-12))), output=EMBEDDING)

    graph = helper.make_graph(
        g.nodes,
        "sentence_encoder",
        [
            helper.make_tensor_value_info(INPUT_IDS, TensorProto.INT64, ["batch", "tokens"]),
            helper.make_tensor_value_info(ATTENTION_MASK, TensorProto.FLOAT, ["batch", "tokens"]),
        ],
        [helper.make_tensor_value_info(EMBEDDING, TensorProto.FLOAT, ["batch", width])],
        g.initializers,
    )
    model: ModelProto = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 8  # what ONNX Runtime 1.16 reads
    return bytes(model.SerializeToString())
