"""The demo's two Brand Alignment judges, both offline (no endpoint needed).

- ``production_judge``: the judge production runs, as the eval sees it. Offline, it is
  the offline judge trained on the logged judge's own past grades (``judge-v1``) in the
  slice under test, so it inherits that judge's habits, including its miscalibration:
  it grades numbered, step-by-step recovery replies B or C for being "procedural".
- the calibrated judge: ``brand_alignment_offline`` from the scorer registry, the same
  model trained on the human labels instead.

With a model endpoint configured, use the rubric judge ``brand_alignment`` instead.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from evaltui.store.db import Store

PRODUCTION_NAME = "Brand Alignment"
PRODUCTION_VERSION = "judge-v1"
CALIBRATED_SPEC = "brand_alignment_offline"


def dataset_topic(store: Store, dataset: str) -> str | None:
    """The topic most of a dataset's records came from (spans.topic of their origin spans)."""
    from evaltui.store.datasets import origin_topics

    counts = Counter(origin_topics(store, dataset))
    return counts.most_common(1)[0][0] if counts else None


def production_judge(store: Store | None = None, *, topic: str | None = None, dataset: str | None = None) -> Any:
    """The offline replica of the production judge (see the module docstring), trained on
    ``judge-v1``'s grades of the turns in ``topic`` (or the topic ``dataset`` came from;
    every turn when neither is given). ``store`` defaults to the eval's database."""
    from evaltui.scoring.offline_judge import OfflineJudge
    from evaltui.store import Store
    from evaltui.store.calibration_pairs import labelled_examples

    if store is None:
        from evaltui.dbpath import default_db

        with Store(default_db()) as own:
            judge = production_judge(own, topic=topic, dataset=dataset)
            judge.store = None  # the file closes here; later texts embed in-process
            return judge
    if topic is None and dataset is not None:
        topic = dataset_topic(store, dataset)
    examples = labelled_examples(store, "brand_alignment", ("online",), PRODUCTION_VERSION)
    if topic is not None:
        examples = [e for e in examples if e["topic"] == topic]
    return OfflineJudge(
        examples, name=PRODUCTION_NAME, rubric_key="brand_alignment", trained_on=PRODUCTION_VERSION, store=store
    )


def calibrated_judge(store: Store) -> Any:
    """The scorer spec of the offline judge trained on human labels."""
    from evaltui.scoring.registry import resolve

    return resolve(CALIBRATED_SPEC, store=store)


__all__ = ["CALIBRATED_SPEC", "PRODUCTION_NAME", "calibrated_judge", "dataset_topic", "production_judge"]
