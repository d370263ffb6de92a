"""`rasa train` with cheaper fingerprints: `python -m bot.rasa_training train ...`.

While it trains, Rasa fingerprints every component's inputs and output so that an unchanged
component can be taken from its cache on the next run. For NLU those are the whole training
data: every message, every token and every feature matrix, hashed again after each featurizer
adds to them. That was a third of a training run (63 of 198 profiled seconds, about 40 real
seconds of a 2.5-minute `make train` with 4,400 examples; issue #11 asks for under 2 minutes):

- `Message.fingerprint` walks the message's data and features, hashing every value, list and
  dictionary on the way through `json.dumps` and MD5 (three million calls in one run).
  `message_fingerprint` writes the same data (tokens as their fields) and the features' own
  fingerprints as one JSON text and hashes it once: 0.8 s instead of 4.7 s for the 4,437
  training messages; it keeps Rasa's rule for when to compute it again (after `set`,
  `add_features`). Data JSON cannot sort (keys of mixed types) falls back to Rasa's walk.
- `Token.fingerprint` hashes its five fields one by one, each through `json.dumps` and MD5, and
  then the list of those hashes: 888,000 calls in one run, as no token keeps its fingerprint.
  `token_fingerprint` hashes the same five fields in one `json.dumps`.
- `Features.fingerprint` turns a sparse matrix into text, one formatted line per stored value,
  before hashing it. `features_fingerprint` hashes the matrix's arrays (shape, data type,
  coordinates and values, in a canonical order) instead.

All three still change whenever what they describe changes, and all are stable from run to run
and machine to machine, which is all the cache needs. They are not the numbers plain `rasa
train` computes, so a model trained one way finds no cached components of the other and
retrains them (correct, only slower); `make train` always trains this way.

Everything else is Rasa's own command line.
"""

from __future__ import annotations

import hashlib
import json
import sys
from typing import Any

import numpy as np
import scipy.sparse
from rasa.nlu.tokenizers.tokenizer import Token

RASA_VERSIONS = ("3.6.",)
_INSTALLED = "_privacy_assistant_fast_fingerprints"


def train_command(*arguments: str) -> list[str]:
    """The command line of `rasa train <arguments>` as `make train` runs it: this module, under
    the running Python."""
    return [sys.executable, "-m", "bot.rasa_training", "train", *arguments]


def _token_fields(token: Any) -> list[Any]:
    return [token.text, token.start, token.end, token.lemma, token.data]


def _text_for_json(value: Any) -> Any:
    """What json.dumps writes for a value it cannot encode: a token's fields, another object's
    own fingerprint, else (as Rasa) `str(value)`."""
    if isinstance(value, Token):
        return _token_fields(value)
    fingerprint = getattr(value, "fingerprint", None)
    return str(fingerprint()) if callable(fingerprint) else str(value)


def token_fingerprint(token: Any) -> str:
    """A stable hash of a Rasa `Token`: its text, offsets, lemma and data."""
    text = json.dumps(_token_fields(token), sort_keys=True, default=_text_for_json)
    return hashlib.md5(text.encode("utf-8"), usedforsecurity=False).hexdigest()


def _matrix_digest(matrix: Any) -> str:
    """A stable hash of a dense or sparse matrix's shape, data type and values."""
    digest = hashlib.md5(usedforsecurity=False)
    if scipy.sparse.issparse(matrix):
        canonical = scipy.sparse.csr_matrix(matrix, copy=True)
        canonical.sum_duplicates()  # also sorts the column indices of every row
        digest.update(f"sparse{canonical.shape}{canonical.dtype}".encode())
        for array in (canonical.indptr, canonical.indices, canonical.data):
            digest.update(np.ascontiguousarray(array).tobytes())
    else:
        dense = np.ascontiguousarray(matrix)
        digest.update(f"dense{dense.shape}{dense.dtype}".encode())
        digest.update(dense.tobytes())
    return digest.hexdigest()


def features_fingerprint(features: Any) -> str:
    """A stable hash of a Rasa `Features`: its type, origin, attribute and matrix; kept on the
    object as Rasa does (Rasa clears it when the features change)."""
    if features._cached_fingerprint is None:
        text = json.dumps(
            [features.type, features.origin, features.attribute, _matrix_digest(features.features)]
        )
        features._cached_fingerprint = hashlib.md5(
            text.encode("utf-8"), usedforsecurity=False
        ).hexdigest()
    return str(features._cached_fingerprint)


def _rasa_message_fingerprint(message: Any) -> str:
    import rasa.shared.utils.io

    return str(rasa.shared.utils.io.deep_container_fingerprint([message.data, message.features]))


def message_fingerprint(message: Any) -> str:
    """A stable hash of a Rasa `Message`: its data (tokens as their five fields) and its
    features' fingerprints; kept on the message as Rasa does."""
    if message._cached_fingerprint is None:
        features = [feature.fingerprint() for feature in message.features]
        try:
            text = json.dumps([message.data, features], sort_keys=True, default=_text_for_json)
        except TypeError:  # dictionary keys JSON cannot sort
            message._cached_fingerprint = _rasa_message_fingerprint(message)
        else:
            message._cached_fingerprint = hashlib.md5(
                text.encode("utf-8"), usedforsecurity=False
            ).hexdigest()
    return str(message._cached_fingerprint)


def install() -> None:
    """Replace `Message.fingerprint`, `Token.fingerprint` and `Features.fingerprint`
    (idempotent)."""
    import rasa
    from rasa.shared.nlu.training_data.features import Features
    from rasa.shared.nlu.training_data.message import Message

    if getattr(Features, _INSTALLED, False):
        return
    if (
        not rasa.__version__.startswith(RASA_VERSIONS)
        or "_cached_fingerprint" not in Message().__dict__
        or not hasattr(Token, "fingerprint")
        or not hasattr(Features, "fingerprint")
        or "_cached_fingerprint" not in Features(np.zeros((1, 1)), "sentence", "text", "x").__dict__
    ):
        raise RuntimeError(
            f"bot.rasa_training was written for Rasa {RASA_VERSIONS}, not {rasa.__version__}: "
            "check how Message, Token and Features compute their fingerprints, then update it."
        )
    Message.fingerprint = message_fingerprint
    Token.fingerprint = token_fingerprint
    Features.fingerprint = features_fingerprint
    setattr(Features, _INSTALLED, True)


def main() -> None:
    install()
    from rasa.__main__ import main as rasa_main

    sys.argv[0] = "rasa"
    rasa_main()


if __name__ == "__main__":
    main()
