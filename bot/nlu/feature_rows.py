"""A message's sentence features as one CSR row: its sparse ones (word counts), then its dense
ones (the embedding), the way SciPy's `hstack` lays them out, built straight from their arrays.

Both classifiers read this row on every message: Rasa's intent classifier
(`bot/rasa_runtime.py`, `intent_feature_matrix`) and the answer selector
(`bot/nlu/logistic_response_selector.py`). SciPy's `hstack` and `vstack` are general block-matrix
code, most of each classifier's time per message (issue #15); the matrix here is the same (the
same values and column order, zeros of the dense part left out as SciPy leaves them out).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse
from rasa.shared.nlu.constants import TEXT


@dataclass(frozen=True)
class FeatureRow:
    values: np.ndarray
    columns: np.ndarray
    width: int


def feature_row(sparse: Any | None, dense: Any | None) -> FeatureRow:
    """One message's row from its sparse and dense sentence `Features` (either may be None)."""
    values: list[np.ndarray] = []
    columns: list[np.ndarray] = []
    width = 0
    if sparse is not None:
        counts = scipy.sparse.csr_matrix(sparse.features)
        values.append(counts.data)
        columns.append(counts.indices)
        width = int(counts.shape[1])
    if dense is not None:
        embedding = np.asarray(dense.features).ravel()
        nonzero = np.flatnonzero(embedding)
        values.append(embedding[nonzero])
        columns.append(nonzero + width)
        width += int(embedding.size)
    if not values:
        return FeatureRow(np.zeros(0), np.zeros(0, dtype=np.int32), 0)
    return FeatureRow(np.concatenate(values), np.concatenate(columns), width)


def message_row(message: Any, featurizers: list[str] | None = None) -> FeatureRow | None:
    """A message's row from the sentence features of its text (of `featurizers` only, when
    given), or None when it has none."""
    sparse = message.get_sparse_features(TEXT, featurizers)[1]
    dense = message.get_dense_features(TEXT, featurizers)[1]
    return None if sparse is None and dense is None else feature_row(sparse, dense)


def stack_rows(rows: Sequence[FeatureRow]) -> scipy.sparse.csr_matrix:
    """The rows, one under the other, as a CSR matrix; they must all be as wide."""
    widths = {row.width for row in rows}
    if len(widths) > 1:
        raise ValueError(f"feature rows of different widths: {sorted(widths)}")
    indptr = np.cumsum([0] + [row.values.size for row in rows])
    values = np.concatenate([row.values for row in rows]) if rows else np.zeros(0)
    columns = np.concatenate([row.columns for row in rows]) if rows else np.zeros(0)
    return scipy.sparse.csr_matrix(
        (values, columns.astype(np.int32), indptr), shape=(len(rows), widths.pop() if widths else 0)
    )
