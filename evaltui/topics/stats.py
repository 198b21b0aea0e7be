"""Topic x score statistics and the "where it hurts" ranking."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from evaltui.store import topics as topic_store

if TYPE_CHECKING:
    from evaltui.store import Store


@dataclass(frozen=True)
class Hurt:
    """A topic whose mean for a scorer sits below the overall mean, weighted by volume."""

    topic: str
    scorer: str
    conversations: int  # scored by this scorer in this topic
    mean: float
    overall_mean: float
    fail_share: float | None
    impact: float  # (overall mean - topic mean) x conversations: score points lost

    @property
    def gap(self) -> float:
        return self.overall_mean - self.mean


def overall_means(rows: list[dict[str, Any]], keys: list[str]) -> dict[str, float]:
    """Per scorer, the mean over every scored conversation (weighted by each topic's count)."""
    out = {}
    for k in keys:
        n = sum(r["scores"][k]["n"] for r in rows if k in r["scores"])
        total = sum(
            r["scores"][k]["n"] * r["scores"][k]["mean"] for r in rows if k in r["scores"] and r["scores"][k]["n"]
        )
        if n:
            out[k] = total / n
    return out


def where_it_hurts(
    rows: list[dict[str, Any]], keys: list[str], *, include_unassigned: bool = False, limit: int = 10
) -> list[Hurt]:
    """Topic x scorer pairs below the scorer's overall mean, largest (gap x volume) first."""
    overall = overall_means(rows, keys)
    hurts = []
    for r in rows:
        if r["topic"] == topic_store.UNASSIGNED and not include_unassigned:
            continue
        for k, s in r["scores"].items():
            if not s["n"] or k not in overall or s["mean"] >= overall[k]:
                continue
            gap = overall[k] - s["mean"]
            hurts.append(Hurt(r["topic"], k, s["n"], s["mean"], overall[k], s["fail_share"], gap * s["n"]))
    hurts.sort(key=lambda h: (-h.impact, h.topic, h.scorer))
    return hurts[:limit]


def topic_table(store: Store, topic: str | None = None) -> dict[str, Any]:
    """Everything `topics list` shows: per topic its key, label, size and score statistics,
    and the where-it-hurts ranking (over spans.topic: the active map's topics, else the tags)."""
    from evaltui.config import get_settings

    settings = get_settings()
    keys, rows = topic_store.topic_score_rows(store, settings.fail_threshold, topic)
    current = topic_store.active_map(store)
    info: dict[str, dict[str, Any]] = {}
    group_info: dict[int, dict[str, Any]] = {}
    if current is not None:
        for topic_row in topic_store.map_topics(store, current["id"], with_centroids=False):
            info[topic_row["key"]] = topic_row
        group_info = {g["group_id"]: g for g in topic_store.map_groups(store, current["id"])}
    for r in rows:
        t = info.get(r["topic"])
        r["label"] = (t["name"] or t["label"]) if t else None
        r["keywords"] = t["keywords"] if t else []
        g = group_info.get(t["group_id"]) if t else None
        r["group"] = g["key"] if g else None
        r["group_label"] = (g["name"] or g["label"]) if g else None
    groups = group_rows(rows, keys)
    return {
        "map": None if current is None else {k: (str(v) if k == "created" else v) for k, v in current.items()},
        "scorers": keys,
        "topics": rows,
        "groups": groups,
        "where_it_hurts": [dict(h.__dict__, gap=h.gap) for h in where_it_hurts(rows, keys)],
        "where_it_hurts_groups": [dict(h.__dict__, gap=h.gap, group=h.topic) for h in where_it_hurts(groups, keys)],
    }


def group_rows(rows: list[dict[str, Any]], keys: list[str]) -> list[dict[str, Any]]:
    """The topic rows rolled up by group: conversations summed, each score's mean and
    failing share weighted by its topics' scored counts. Shaped like topic rows (``topic``
    holds the group key) so the same ranking applies; largest group first."""
    out: dict[str, dict[str, Any]] = {}
    for r in rows:
        if not r.get("group"):
            continue
        g = out.setdefault(
            r["group"],
            {"topic": r["group"], "label": r.get("group_label"), "conversations": 0, "topics": [], "scores": {}},
        )
        g["conversations"] += r["conversations"]
        g["topics"].append(r["topic"])
        for k, sc in r["scores"].items():
            acc = g["scores"].setdefault(k, {"n": 0, "mean": 0.0, "fail_share": 0.0})
            n = sc["n"] or 0
            if n:
                acc["mean"] += sc["mean"] * n
                acc["fail_share"] += (sc["fail_share"] or 0.0) * n
                acc["n"] += n
    for g in out.values():
        for acc in g["scores"].values():
            if acc["n"]:
                acc["mean"] /= acc["n"]
                acc["fail_share"] /= acc["n"]
            else:
                acc["mean"] = acc["fail_share"] = None
    return sorted(out.values(), key=lambda g: (-g["conversations"], g["topic"]))


def topic_detail(store: Store, topic: str) -> dict[str, Any] | None:
    """One topic: its map entry, score statistics, daily trend and closest examples."""
    from evaltui.topics.text import text_sql

    table = topic_table(store, topic)
    if not table["topics"]:
        return None
    row = table["topics"][0]
    detail: dict[str, Any] = {"topic": topic, **row, "trend": topic_store.daily_trend(store, topic, table["scorers"])}
    current = topic_store.active_map(store)
    detail["examples"] = []
    if current is not None:
        for t in topic_store.map_topics(store, current["id"], with_centroids=False):
            if t["key"] == topic:
                detail.update(label=t["label"], name=t["name"], size=t["size"], radius=t["radius"])
                detail["examples"] = topic_store.examples(
                    store, current["id"], t["topic_id"], text_sql(current["facet"])
                )
    return detail
