"""`evaltui views list|show|save|delete`: the log browser's saved views (a named filter,
extra columns and sort order, kept in the database) from the command line. The same store
functions as the app's `w` and `V`, so a view saved here opens there and the other way
round. Only click is imported at module level."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from evaltui.cli.common import UserError, db_option, open_store, user_errors

if TYPE_CHECKING:
    from evaltui.store.db import Store


def _as_dict(view: Any) -> dict[str, Any]:
    return {
        "name": view.name,
        "where": view.where,
        "columns": list(view.columns),
        "sort": view.sort,
        "descending": view.descending,
    }


def _find(store: Store, name: str) -> Any:
    from evaltui.store.views import saved_views

    views = saved_views(store)
    for view in views:
        if view.name == name:
            return view
    known = ", ".join(v.name for v in views) or "none yet"
    raise UserError(f"no saved view named {name!r} (saved views: {known})")


@click.group()
def views() -> None:
    """Saved views of the log browser: a named filter, extra columns and sort order."""


@views.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per view.")
@db_option
@user_errors
def views_list(as_json: bool) -> None:
    """List the saved views."""
    from evaltui.store.views import saved_views

    with open_store(read_only=True) as store:
        found = saved_views(store)
    if as_json:
        import orjson

        for view in found:
            click.echo(orjson.dumps(_as_dict(view)).decode())
        return
    if not found:
        click.echo("no saved views (evaltui views save NAME --where ..., or w in the app's log browser)")
        return
    rows = [(v.name, v.order, ", ".join(v.columns) or "-", v.where or "(none)") for v in found]
    widths = [max(len(head), *(len(r[i]) for r in rows)) for i, head in enumerate(("view", "sort", "columns"))]
    for row in [("view", "sort", "columns", "filter"), *rows]:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths)) + "  " + row[3])


@views.command("show")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="The view as one JSON object.")
@db_option
@user_errors
def views_show(name: str, as_json: bool) -> None:
    """Show the view NAME and how many conversations it matches now."""
    from evaltui.store import logs as log_queries

    with open_store(read_only=True) as store:
        view = _find(store, name)
        matching = log_queries.count(store, view.where, roots_only=True)
    if as_json:
        import orjson

        click.echo(orjson.dumps({**_as_dict(view), "matching": matching}).decode())
        return
    click.echo(f"view     {view.name}")
    click.echo(f"filter   {view.where or '(none)'}")
    click.echo(f"columns  {', '.join(view.columns) or '(the default)'}")
    click.echo(f"sort     {view.order}")
    click.echo(f"matches  {matching:,} conversations")
    if view.where:
        import shlex

        click.echo(f"the same rows: evaltui logs --where {shlex.quote(view.where)}")


@views.command("save")
@click.argument("name")
@click.option("--where", default="", metavar="FILTER", help="The view's filter (the filter language).")
@click.option(
    "--column",
    "columns",
    multiple=True,
    metavar="metrics.KEY|metadata.KEY",
    help="An extra column (repeatable), e.g. metrics.latency_s or metadata.model.",
)
@click.option(
    "--sort",
    default="ts",
    show_default=True,
    metavar="COLUMN",
    help="ts, topic, input, scores.NAME, metrics.KEY or metadata.KEY.",
)
@click.option(
    "--descending/--ascending",
    default=None,
    help="Sort order (default: newest first for ts, otherwise ascending, e.g. worst score first).",
)
@db_option
@user_errors
def views_save(name: str, where: str, columns: tuple[str, ...], sort: str, descending: bool | None) -> None:
    """Save (or replace) the view NAME; the app's log browser opens it with V or from the palette."""
    from evaltui.store.pages import COLUMN_KEY
    from evaltui.store.filter_names import check_names
    from evaltui.store.filters import FilterError, compile_filter
    from evaltui.store.logs import check_sort
    from evaltui.store.views import SavedView, save_view, saved_views

    name = name.strip()
    if not name:
        raise UserError("a saved view needs a name")
    for column in columns:
        head, _, key = column.partition(".")
        if head not in ("metrics", "metadata") or not COLUMN_KEY.fullmatch(key):
            raise UserError(
                f"cannot show column {column!r}: choose metrics.KEY or metadata.KEY (letters, digits, _ and -)"
            )
    compile_filter(where)  # a filter that does not parse fails here, with where
    try:
        check_sort(sort)
    except FilterError:
        raise UserError(
            f"cannot sort by {sort!r}: sort by ts, topic, input, output, id, name, scores.NAME, "
            "metrics.KEY or metadata.KEY"
        ) from None
    view = SavedView(
        name, where.strip(), tuple(dict.fromkeys(columns)), sort, sort == "ts" if descending is None else descending
    )
    with open_store() as store:
        check_names(store, view.where)  # a misspelt scorer or topic would save a view that shows nothing
        replaced = any(v.name == name for v in saved_views(store))
        save_view(store, view)
    click.echo(
        f"{'replaced' if replaced else 'saved'} view {name}: {view.where or 'no filter'} · by {view.order}"
        + (f" · columns {', '.join(view.columns)}" if view.columns else "")
    )


@views.command("delete")
@click.argument("name")
@db_option
@user_errors
def views_delete(name: str) -> None:
    """Delete the view NAME."""
    from evaltui.store.views import delete_view

    with open_store() as store:
        _find(store, name)
        delete_view(store, name)
    click.echo(f"deleted view {name}")
