"""The pure rules of evaltui.topics.changes: what a rebuild changed, and when a map is stale."""

from __future__ import annotations

from evaltui.topics.changes import compare_maps, staleness_rule


def _assign(**groups: tuple[str | None, int]) -> dict[str, str | None]:
    """span ids p0.. per named block: block=(topic, how many)."""
    out = {}
    for block, (topic, n) in groups.items():
        out.update({f"{block}{i}": topic for i in range(n)})
    return out


def test_an_unchanged_map_reports_nothing():
    old = _assign(a=("account", 10), b=("billing", 8), u=(None, 3))
    changes = compare_maps(old, dict(old))
    assert (changes.new, changes.split, changes.merged, changes.gone) == ([], {}, {}, [])
    assert changes.lines() == []


def test_split_merged_new_and_gone_by_overlap():
    old = {**_assign(a=("account", 20), b=("billing", 6), c=("coupons", 6), s=("shipping", 5)), **_assign(x=(None, 12))}
    new = {
        **_assign(a=("password", 0)),
        **{f"a{i}": "password" if i < 12 else "login_email" for i in range(20)},
        **_assign(b=("payments", 6), c=("payments", 6)),
        **_assign(s=(None, 5)),  # shipping's conversations now fit no topic
        **_assign(x=("gift_cards", 12)),
    }  # the old unassigned ones make a topic
    changes = compare_maps(old, new)
    assert changes.split == {"account": ["login_email", "password"]}
    assert changes.merged == {"payments": ["billing", "coupons"]}
    assert changes.new == ["gift_cards"]
    assert changes.gone == ["shipping"]
    assert changes.lines() == [
        "new: gift_cards",
        "split: account -> login_email, password",
        "merged: billing + coupons -> payments",
        "gone: shipping",
    ]


def test_a_topic_kept_under_its_key_with_a_few_moves_is_not_a_change():
    old = _assign(a=("account", 10), b=("billing", 10))
    new = {**old, "a0": "billing", "b0": "account"}
    changes = compare_maps(old, new)
    assert changes.lines() == []


def test_staleness_needs_enough_new_conversations_and_a_clear_rise():
    # built with 10% unassigned: stale above 20% of the new ones, once 20 have come in
    rule = staleness_rule(built=500, built_unassigned=50, new=3, new_unassigned=3)
    assert rule.min_new == 20 and abs(rule.threshold - 0.20) < 1e-9 and not rule.stale  # 3 stray messages
    assert not staleness_rule(500, 50, 40, 8).stale  # 20%: not above
    assert staleness_rule(500, 50, 40, 9).stale
    # a map built with 40% unassigned needs 60%; a large map needs 2% of its size
    assert not staleness_rule(500, 200, 100, 60).stale and staleness_rule(500, 200, 100, 61).stale
    assert staleness_rule(10_000, 1000, 199, 199).min_new == 200 and not staleness_rule(10_000, 1000, 199, 199).stale
    assert "evaltui topics build" in staleness_rule(500, 50, 40, 9).message
