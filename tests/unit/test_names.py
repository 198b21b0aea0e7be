"""Abbreviating names to a column width keeps them distinct; typos get a suggestion."""

from __future__ import annotations

import itertools

import pytest

from evaltui.names import abbreviate, did_you_mean, legend, legend_text

DEMO = ["brand_alignment", "brand_alignment_offline", "conversation_quality"]


@pytest.mark.parametrize("width", range(3, 26))
def test_the_demo_scorers_stay_distinct_and_fit_at_every_width(width: int) -> None:
    short = abbreviate(DEMO, width)
    assert len(set(short)) == 3
    assert all(len(s) <= width for s in short)


def test_a_name_that_fits_stays_whole_and_the_shared_words_shrink_first() -> None:
    assert abbreviate(DEMO, 30) == DEMO
    assert abbreviate(DEMO, 6) == ["bra_al", "b_a_of", "conver"]  # a cut no other name starts with stays a cut
    assert abbreviate(["Brand Alignment", "Brand Alignment Offline", "Apologises"], 10) == [
        "Brand Alig",
        "Bra Al Off",
        "Apologises",
    ]


def test_names_that_would_still_read_the_same_get_a_number() -> None:
    assert abbreviate(["abc1", "abc2", "abd"], 3) == ["a~1", "a~2", "abd"]


def test_equal_names_stay_equal() -> None:
    first, second = abbreviate(["same_long_name", "same_long_name"], 5)
    assert first == second and len(first) <= 5


def test_no_abbreviation_is_the_start_of_another_name() -> None:
    topics = ["password_delete_account", "password_reset_link", "password_reset", "billing"]
    for width in range(4, 24):
        short = abbreviate(topics, width)
        for s, name in zip(short, topics):
            if s != name:
                assert not any(o != name and o.startswith(s) for o in topics), (width, s)


def test_random_name_sets_stay_distinct() -> None:
    words = ["brand", "alignment", "offline", "quality", "a", "b", "v2", "judge"]
    for combo in itertools.islice(
        itertools.combinations(("_".join(p) for p in itertools.permutations(words, 3)), 4), 0, 4000, 97
    ):
        for width in (4, 6, 9):
            short = abbreviate(list(combo), width)
            assert len(set(short)) == len(set(combo)), (combo, width, short)
            assert all(len(s) <= width for s in short)


def test_the_legend_lists_only_what_was_shortened() -> None:
    short = abbreviate(["apologises", *DEMO], 10)
    assert legend(["apologises", *DEMO], short) == [
        ("brand_alig", "brand_alignment"),
        ("bra_al_off", "brand_alignment_offline"),
        ("conversati", "conversation_quality"),
    ]
    assert legend_text(["ok"], ["ok"]) == ""


def test_did_you_mean_names_the_closest_known_name() -> None:
    assert did_you_mean("brand_alignmnt", DEMO) == "brand_alignment"
    assert did_you_mean("passwrd_delete_account", ["password_delete_account", "billing"]) == "password_delete_account"
    assert did_you_mean("passwrd", ["password_delete_account", "billing"]) == "password_delete_account"
    assert did_you_mean("zzz", DEMO) is None
    assert did_you_mean("x", []) is None


def test_each_name_can_have_its_own_width() -> None:
    # "brand_" would read as brand_alignment, which starts with it: a twin too
    assert abbreviate(DEMO, [20, 6, 30]) == ["brand_alignment", "b_a_of", "conversation_quality"]


def test_columns_share_the_width_and_grow_together() -> None:
    from evaltui.tui.render import fit_widths

    assert fit_widths(30, [5, 5, 5], [8, 20, 6]) == [8, 16, 6]
    assert fit_widths(10, [5, 5], [9, 9]) == [5, 5]
    assert fit_widths(100, [1], [4]) == [4]


def test_a_cut_ending_in_a_space_is_no_escape_from_twins() -> None:
    # "Brand Alignment Offline" cut at 16 is "Brand Alignment ", which shows as the other name
    short = abbreviate(["Brand Alignment", "Brand Alignment Offline"], 16)
    assert short[0] == "Brand Alignment" and short[1].rstrip() != "Brand Alignment" and len(short[1]) <= 16
    assert abbreviate(["conversation_quality", "x"], 13) == ["conversation", "x"]
