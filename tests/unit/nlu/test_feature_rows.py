"""A message's sentence features as one row, laid out as SciPy's hstack lays them out."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse
from rasa.shared.nlu.training_data.features import Features

from bot.nlu.feature_rows import feature_row, stack_rows


def counts(row: list[float]) -> Features:
    return Features(scipy.sparse.coo_matrix(np.array([row])), "sentence", "text", "word_counts")


def embedding(row: list[float]) -> Features:
    return Features(np.array([row], dtype=np.float32), "sentence", "text", "embedding")


@pytest.mark.parametrize(
    "sparse, dense",
    [
        (counts([0, 2, 0, 1]), embedding([0.5, 0.0, -0.25])),
        (counts([0, 0, 0]), embedding([1.0, 2.0])),
        (counts([3, 0, 1]), None),
        (None, embedding([0.0, 0.5])),
    ],
)
def test_a_row_is_what_scipy_hstack_makes(sparse: Features | None, dense: Features | None) -> None:
    parts = [scipy.sparse.csr_matrix(f.features) for f in (sparse, dense) if f is not None]
    expected = scipy.sparse.hstack(parts, format="csr")

    row = stack_rows([feature_row(sparse, dense)])

    assert row.shape == expected.shape and row.dtype == expected.dtype
    assert (row.indices == expected.indices).all() and (row.data == expected.data).all()
    assert (row.indptr == expected.indptr).all()


def test_rows_stack_in_order() -> None:
    rows = [feature_row(counts([1, 0]), embedding([0.5])), feature_row(counts([0, 2]), None)]
    with pytest.raises(ValueError, match="different widths"):
        stack_rows(rows)
    second = feature_row(counts([0, 2]), embedding([0.0]))
    assert stack_rows([rows[0], second]).toarray().tolist() == [[1.0, 0.0, 0.5], [0.0, 2.0, 0.0]]


def test_a_message_without_features_is_an_empty_row() -> None:
    assert stack_rows([feature_row(None, None)]).shape == (1, 0)
