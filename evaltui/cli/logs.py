"""`evaltui logs | stats`: matching spans, and statistics per topic or metadata key."""

from __future__ import annotations

import click

from evaltui.cli.common import db_option, open_store, user_errors


@click.command()
@click.option(
    "--where",
    "where",
    default="",
    metavar="FILTER",
    help="Filter, e.g. 'topic = \"billing\" and scores.brand_alignment <= 0.5'.",
)
@click.option("--limit", default=20, show_default=True, type=click.IntRange(min=1))
@click.option("--all-spans", is_flag=True, help="List every span, not only root conversations.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per span.")
@db_option
@user_errors
def logs(where: str, limit: int, all_spans: bool, as_json: bool) -> None:
    """List matching spans, newest first."""
    from evaltui.store import logs as log_queries
    from evaltui.store.filter_names import check_names

    with open_store(read_only=True) as store:
        check_names(store, where)  # a misspelt scorer or topic would match nothing, silently
        page = log_queries.query_page(store, where, limit=limit, roots_only=not all_spans)
        rows = page.to_pylist()
        if as_json:
            from evaltui.cli.render import span_json

            for row in rows:
                click.echo(span_json(row))
            return
        total = log_queries.count(store, where, roots_only=not all_spans)
    from evaltui.cli.render import print_spans_table

    print_spans_table(rows, total)


@click.command()
@click.option("--where", "where", default="", metavar="FILTER", help="Only conversations matching this filter.")
@click.option(
    "--by",
    "by",
    default="topic",
    metavar="metadata.KEY",
    help="topic, group (the topic map's groups), or a metadata key (model, prompt_version...).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the statistics as JSON.")
@db_option
@user_errors
def stats(where: str, by: str, as_json: bool) -> None:
    """Per topic (or metadata key): conversations and the mean of each score."""
    from evaltui.store import logs as log_queries
    from evaltui.store.filter_names import check_names
    from evaltui.topics.changes import map_staleness

    with open_store(read_only=True) as store:
        check_names(store, where)
        staleness = map_staleness(store)
        if by in ("topic", "group"):
            keys, rows = log_queries.topic_stats(store, where, by)
        else:
            keys, groups = log_queries.group_stats(store, where, by.removeprefix("metadata."))
    if by not in ("topic", "group"):
        if as_json:
            import orjson

            click.echo(orjson.dumps({"scorers": keys, "by": by, "groups": groups}).decode())
            return
        rows = [{**g, "topic": "(none)" if g["value"] is None else str(g["value"])} for g in groups]
    elif as_json:
        import orjson

        click.echo(
            orjson.dumps(
                {"scorers": keys, "by": by, "topics": rows, "stale_map": None if staleness is None else staleness.stale}
            ).decode()
        )
        return
    from evaltui.cli.render import print_stats_table
    from evaltui.cli.topics import stale_notice

    print_stats_table(keys, rows, by)
    stale_notice(staleness)
