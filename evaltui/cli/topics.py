"""`evaltui topics build|assign|list|show`. Only click is imported at module level."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from evaltui.cli.common import UserError, db_option, open_store, user_errors
from evaltui.cli.render import to_json
from evaltui.progress import ProgressBar

if TYPE_CHECKING:
    from evaltui.store.db import Store


class _StageProgress:
    """Stage lines on stderr, and a progress bar while embedding on a terminal."""

    def __init__(self) -> None:
        self.stage = ""
        self.bar: ProgressBar | None = None

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage != self.stage:
            self.close()
            self.stage = stage
            if stage == "embed" and total:
                click.echo(f"embedding {total:,} texts (cached ones are skipped) ...", err=True)
                self.bar = ProgressBar(total=total, remaining=True).start()
            elif stage != "embed":
                click.echo(f"{stage} ...", err=True)
        if self.bar is not None:
            self.bar.update(completed=done, total=total)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None


@click.group()
def topics() -> None:
    """Topic maps: cluster conversations, name the clusters, find where it hurts."""


def _resolution(ctx: click.Context, param: click.Parameter, value: str | None) -> float | str | None:
    """A positive number, or 'auto'."""
    if value is None or value == "auto":
        return value
    try:
        number = float(value)
    except ValueError:
        number = 0.0
    if not number > 0:
        raise click.BadParameter(f"{value!r} is neither a positive number nor 'auto'")
    return number


@topics.command()
@click.option(
    "--text",
    "facet",
    default="first_message",
    show_default=True,
    type=click.Choice(["first_message", "transcript", "summary"]),
    help="What to embed per conversation (summary needs a model endpoint).",
)
@click.option(
    "--resolution",
    callback=_resolution,
    default=None,
    help="Link density a topic needs (default: where the map changes least between steps of 0.5x-4x of "
    "0.0075, never coarser; a number fixes it): higher gives more, smaller topics; "
    "'auto' chooses it from the data (the multiple of the graph's density at which the map "
    "changes least between its neighbouring multiples).",
)
@click.option(
    "--sample-size",
    type=click.IntRange(min=100),
    default=20_000,
    show_default=True,
    help="Distinct texts clustered; the rest join by nearest centroid (or the cheap path).",
)
@click.option(
    "--threshold",
    type=click.FloatRange(0, 2),
    default=None,
    help="Fixed cosine distance beyond which a span stays unassigned (default: per-topic radius).",
)
@click.option(
    "--lexical-share",
    type=click.FloatRange(0, 1),
    default=0.5,
    show_default=True,
    help="Weight of the texts' word TF-IDF cosine beside MiniLM's when it re-ranks MiniLM's candidate "
    "neighbours (0: MiniLM alone; 0.5: their mean, which lifts fine NMI on nearly every measured set).",
)
@click.option("--seed", type=int, default=42, show_default=True)
@click.option("--no-llm", is_flag=True, help="Keep the keyword labels even when a model endpoint is configured.")
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as one JSON object.")
@db_option
@user_errors
def build(
    facet: str,
    resolution: float | str | None,
    sample_size: int,
    threshold: float | None,
    lexical_share: float,
    seed: int,
    no_llm: bool,
    as_json: bool,
) -> None:
    """Cluster the conversations into a new topic map and file every span under it."""
    from dataclasses import asdict

    from evaltui.topics.build import BuildOptions, build_map
    from evaltui.topics.cluster import ClusterParams

    options = BuildOptions(
        facet=facet,
        sample_size=sample_size,
        threshold=threshold,
        name_with_llm=not no_llm,
        cluster=ClusterParams(seed=seed, lexical_share=lexical_share)
        if resolution is None
        else ClusterParams(
            seed=seed,
            resolution=None if resolution == "auto" else float(resolution),
            refine=False,
            lexical_share=lexical_share,
        ),
    )
    from evaltui.topics.changes import map_changes

    progress = _StageProgress()
    with open_store() as store:
        try:
            result = build_map(store, options, progress)
        finally:
            progress.close()
        changed = map_changes(store, result.map_id)
    if as_json:
        click.echo(
            to_json(
                {
                    **asdict(result),
                    "changes": None if changed is None else {"previous_map": changed[0], **asdict(changed[1])},
                }
            )
        )
        return
    kept = f", {len(result.kept_keys)} kept their key from the previous map" if result.kept_keys else ""
    cheap = (
        f"; {result.cheap_assigned:,} assigned by the cheap path (agreement with MiniLM {result.cheap_agreement:.1%})"
        if result.cheap_assigned
        else ""
    )
    click.echo(
        f"map {result.map_id}: {result.topics} topics in {result.groups} groups over {result.conversations:,} conversations, "
        f"{result.unassigned_share:.1%} unassigned{kept}{cheap} "
        f"({sum(result.timings.values()):.1f}s)"
    )
    if changed is not None:
        lines = changed[1].lines()
        click.echo(f"against map {changed[0]}: " + ("; ".join(lines) if lines else "no topic new, split or merged"))
    click.echo("see them with `evaltui topics list`; filter with `evaltui logs --where 'topic = KEY'`", err=True)


@topics.command()
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as one JSON object.")
@db_option
@user_errors
def assign(as_json: bool) -> None:
    """Place conversations not yet in the active map by nearest centroid (no re-clustering)."""
    from dataclasses import asdict

    from evaltui.topics.assign import assign_new_spans

    with open_store() as store:
        result = assign_new_spans(store)
    if result is None:
        raise UserError("no topic map yet: run `evaltui topics build` first")
    if as_json:
        click.echo(to_json(asdict(result)))
        return
    click.echo(
        f"map {result.map_id}: {result.conversations:,} new conversations, "
        f"{result.assigned:,} assigned, {result.unassigned:,} unassigned ({result.seconds:.1f}s)"
    )


@topics.command(name="list")
@click.option("--json", "as_json", is_flag=True, help="Print the topics and the ranking as JSON.")
@db_option
@user_errors
def list_topics(as_json: bool) -> None:
    """Per topic: conversations, mean and failing share of each score; then where it hurts."""
    from dataclasses import asdict

    from evaltui.topics.changes import map_staleness
    from evaltui.topics.stats import topic_table

    with open_store(read_only=True) as store:
        table = topic_table(store)
        staleness = map_staleness(store)
    if as_json:
        click.echo(
            to_json(
                {**table, "staleness": None if staleness is None else {**asdict(staleness), "stale": staleness.stale}}
            )
        )
        return
    from evaltui.cli.render import print_topic_table

    print_topic_table(table)
    stale_notice(staleness)


def stale_notice(staleness: Any) -> None:
    """One line on stderr when the active map is stale (see evaltui.topics.changes)."""
    if staleness is not None and staleness.stale:
        click.echo(f"note: {staleness.message}", err=True)


@topics.command()
@click.argument("topic")
@click.option(
    "--modes",
    type=click.IntRange(min=0),
    default=5,
    show_default=True,
    help="Failure modes to list (0: none, and no embedding).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the topic as JSON.")
@db_option
@user_errors
def show(topic: str, modes: int, as_json: bool) -> None:
    """One topic: label, keywords, scores, daily trend, the conversations closest to its centre
    and its failure modes (why its failing grades fail)."""
    from dataclasses import asdict

    from evaltui.topics.failure_modes import failure_modes
    from evaltui.topics.stats import topic_detail

    with open_store(read_only=True) as store:
        detail = topic_detail(store, topic)
        if detail is not None:
            detail["failure_modes"] = [asdict(m) for m in failure_modes(store, topic, modes)] if modes else []
    if detail is None:
        raise UserError(f"no topic {topic!r}: see `evaltui topics list` for the keys")
    if as_json:
        click.echo(to_json(detail))
        return
    from evaltui.cli.render import print_failure_modes, print_topic_detail

    print_topic_detail(detail)
    print_failure_modes(detail["failure_modes"])


def assign_after_ingest(store: Store) -> None:
    """After `evaltui ingest`: place new conversations in the active map, if any.
    Without a map this is one small query; torch is only loaded when there is work."""
    from evaltui.topics.assign import assign_new_spans
    from evaltui.topics.embed import EmbeddingError

    try:
        result = assign_new_spans(store)
    except EmbeddingError as exc:
        click.echo(f"warning: new conversations not assigned to topics: {exc}", err=True)
        return
    if result is not None and result.conversations:
        click.echo(
            f"topics: {result.assigned:,} of {result.conversations:,} new conversations assigned "
            f"to map {result.map_id}",
            err=True,
        )
        from evaltui.topics.changes import map_staleness

        stale_notice(map_staleness(store))
