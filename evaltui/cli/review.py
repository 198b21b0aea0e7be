"""`evaltui review`: review queues from the command line. Build a queue from a filter or a
diff's cases, then label its items one at a time (`review run`, or one command per
label for scripts). Labels carry the reviewer ($EVALTUI_REVIEWER, else the login name).
Only click is imported at module level."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from evaltui.cli.common import UserError, db_option, open_store, user_errors

if TYPE_CHECKING:
    from evaltui.store.db import Store

_reviewer_option = click.option(
    "--reviewer", default=None, metavar="NAME", help="Who labels (default: $EVALTUI_REVIEWER, else the login name)."
)


def _who(reviewer: str | None) -> str:
    from evaltui.config import settings

    return reviewer.strip() if reviewer and reviewer.strip() else settings().reviewer_name


@click.group(invoke_without_command=True)
@click.pass_context
@db_option
@user_errors
def review(ctx: click.Context) -> None:
    """Review queues: label first what teaches the most about a judge."""
    if ctx.invoked_subcommand is not None:
        return
    click.echo(ctx.get_help())


@review.command("create")
@click.argument("name")
@click.option("--scorer", required=True, metavar="NAME", help="Whose grades to review (e.g. brand_alignment).")
@click.option("--where", default="", metavar="FILTER", help="Spans matching this filter (default: every graded span).")
@click.option(
    "--diff",
    "diff",
    nargs=2,
    default=None,
    metavar="BASE CANDIDATE",
    help="Instead of spans: the results of the cases two experiments share.",
)
@click.option(
    "--reviews",
    default=1,
    show_default=True,
    type=click.IntRange(min=1),
    help="Labels (by different reviewers) each item asks for.",
)
@click.option("--limit", default=120, show_default=True, type=click.IntRange(min=1), help="Items in the queue.")
@db_option
@user_errors
def review_create(name: str, scorer: str, where: str, diff: tuple[str, str] | None, reviews: int, limit: int) -> None:
    """Make the queue NAME: items ordered so each label teaches the most (judges that
    disagree first, then what the offline judge is unsure of, then topics whose agreement
    is weakest or has the fewest labels)."""
    from evaltui.scoring.review import build_from_diff, build_from_filter

    if diff and where:
        raise UserError("a queue comes from a filter (--where) or a diff (--diff), not both")
    with open_store() as store:
        if diff:
            queue, items = build_from_diff(store, name, scorer, *diff, reviews=reviews, limit=limit)
        else:
            queue, items = build_from_filter(store, name, scorer, where, reviews=reviews, limit=limit)
    click.echo(
        f"queue {queue.name}: {len(items)} {queue.kind}s to label for {queue.scorer_key} "
        f"({reviews} review{'s' if reviews > 1 else ''} each), from {queue.source}"
    )
    for i, item in enumerate(items[:5], 1):
        click.echo(f"  {i}. {item.target_id}: {item.reason}")
    if len(items) > 5:
        click.echo(
            f"  ... {len(items) - 5} more; label them with `evaltui review run {queue.name}` or the app's Review pane (7)"
        )


@review.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per queue.")
@_reviewer_option
@db_option
@user_errors
def review_list(as_json: bool, reviewer: str | None) -> None:
    """The queues, newest first, with progress."""
    from evaltui.store.review import list_queues, progress

    who = _who(reviewer)
    with open_store(read_only=True) as store:
        rows = [(q, progress(store, q.name, who)) for q in list_queues(store)]
    if as_json:
        from evaltui.cli.render import to_json

        for q, p in rows:
            click.echo(
                to_json(
                    {
                        "name": q.name,
                        "scorer": q.scorer_key,
                        "kind": q.kind,
                        "source": q.source,
                        "reviews": q.reviews,
                        "done": p.done,
                        "total": p.total,
                        "today": p.today,
                        "mine": p.mine,
                        "left_for_you": p.left,
                    }
                )
            )
        return
    if not rows:
        click.echo(
            "no review queues yet: evaltui review create NAME --scorer SCORER [--where FILTER | --diff BASE CANDIDATE]"
        )
    for q, p in rows:
        click.echo(f"{q.name}: {q.scorer_key} · {p.text()} · {p.left} left for {who} · from {q.source}")


@review.command("show")
@click.argument("name")
@click.option("--next", "count", default=5, show_default=True, type=click.IntRange(min=0), help="Next items to list.")
@click.option("--json", "as_json", is_flag=True)
@_reviewer_option
@db_option
@user_errors
def review_show(name: str, count: int, as_json: bool, reviewer: str | None) -> None:
    """A queue's progress and the reviewer's next items, with why each is there."""
    from evaltui.store.review import get_queue, item_reason, next_targets, progress

    who = _who(reviewer)
    with open_store(read_only=True) as store:
        queue = get_queue(store, name)
        prog = progress(store, name, who)
        upcoming = [(t, *item_reason(store, name, t)) for t in next_targets(store, name, who, count)]
    if as_json:
        from evaltui.cli.render import to_json

        click.echo(
            to_json(
                {
                    "name": queue.name,
                    "scorer": queue.scorer_key,
                    "source": queue.source,
                    "reviews": queue.reviews,
                    "reviewer": who,
                    "done": prog.done,
                    "total": prog.total,
                    "today": prog.today,
                    "left_for_you": prog.left,
                    "next": [{"target": t, "position": p, "reason": r} for t, p, r in upcoming],
                }
            )
        )
        return
    click.echo(f"{queue.name}: {queue.scorer_key} from {queue.source}; {prog.text()}; {prog.left} left for {who}")
    for target, position, reason in upcoming:
        click.echo(f"  #{position + 1} {target}: {reason}")


def _show_item(store: Store, name: str, who: str) -> str | None:
    """Print the reviewer's current item; its target id, or None when nothing is left."""
    from evaltui.scoring.review import session
    from evaltui.scoring.rubric import transcript

    now = session(store, name, who)
    item = now.item
    if item is None:
        click.echo(f"{name}: {now.progress.text()}: nothing left for {who}")
        return None
    click.echo(f"\n[{now.progress.text()}] {item['where']}")
    click.echo(f"why: {now.reason}")
    click.echo(transcript(item["input"], item["output"]))
    if item["expected"] not in (None, ""):
        click.echo(f"Expected: {item['expected']}")
    for g in item["grades"]:
        click.echo(f"judge {g['scorer']} ({g['version']}): {g['label'] or g['score']} - {g['rationale'] or ''}")
    if now.rubric:
        click.echo("rubric: " + now.rubric.replace("\n", "\n  "))
    click.echo("grades: " + ", ".join(f"{k}={v:g}" for k, v in now.scale.items()))
    return item["target_id"]


@review.command("next")
@click.argument("name")
@_reviewer_option
@db_option
@user_errors
def review_next(name: str, reviewer: str | None) -> None:
    """Show the reviewer's current item of queue NAME (what `review label` labels)."""
    with open_store(read_only=True) as store:
        _show_item(store, name, _who(reviewer))


@review.command("label")
@click.argument("name")
@click.argument("grade")
@click.option("--note", default=None, help="Why (kept with the label).")
@_reviewer_option
@db_option
@user_errors
def review_label(name: str, grade: str, note: str | None, reviewer: str | None) -> None:
    """Label the reviewer's current item of queue NAME with GRADE (e.g. A)."""
    from evaltui.scoring.review import label_next
    from evaltui.store.review import progress

    who = _who(reviewer)
    with open_store() as store:
        target, label = label_next(store, name, who, grade, note)
        click.echo(f"{target}: {label} by {who} ({progress(store, name, who).text()})")


@review.command("skip")
@click.argument("name")
@_reviewer_option
@db_option
@user_errors
def review_skip(name: str, reviewer: str | None) -> None:
    """Skip the current item: it comes back after the others."""
    from evaltui.store.review import next_targets, record_skip

    who = _who(reviewer)
    with open_store() as store:
        targets = next_targets(store, name, who)
        if not targets:
            raise UserError(f"nothing left for {who} in queue {name}")
        record_skip(store, name, targets[0], who)
    click.echo(f"skipped {targets[0]}")


@review.command("undo")
@click.argument("name")
@_reviewer_option
@db_option
@user_errors
def review_undo(name: str, reviewer: str | None) -> None:
    """Take back the reviewer's last label (or skip) in queue NAME."""
    from evaltui.store.review import undo_last

    who = _who(reviewer)
    with open_store() as store:
        undone = undo_last(store, name, who)
    if undone is None:
        raise UserError(f"nothing to undo for {who} in queue {name}")
    click.echo(f"undid the {undone[0]} of {undone[1]}")


@review.command("delete")
@click.argument("name")
@db_option
@user_errors
def review_delete(name: str) -> None:
    """Delete queue NAME (its labels stay)."""
    from evaltui.store.review import delete_queue

    with open_store() as store:
        if not delete_queue(store, name):
            raise UserError(f"no review queue named {name!r}")
    click.echo(f"deleted queue {name}; its labels stay")


@review.command("run")
@click.argument("name")
@_reviewer_option
@db_option
@user_errors
def review_run(name: str, reviewer: str | None) -> None:
    """Label queue NAME item by item in the terminal: type a grade (A, B, C...), optionally
    followed by a note (`B misses the next step`); `s` skips, `u` undoes, `q` stops. The
    database is open only while an item is read or a label written, so the app and other
    commands can use it meanwhile."""
    from evaltui.scoring.errors import ScorerSetupError
    from evaltui.scoring.review import label_next
    from evaltui.store.review import record_skip, undo_last

    who = _who(reviewer)
    while True:
        with open_store(read_only=True) as store:
            target = _show_item(store, name, who)
        if target is None:
            return
        try:
            answer = click.prompt("grade [note], s skip, u undo, q quit", default="", show_default=False).strip()
        except click.Abort:  # end of input
            return
        command, _, note = answer.partition(" ")
        if command.lower() == "q":
            return
        if not command:
            continue
        with open_store() as store:
            if command.lower() == "s" and not note:
                record_skip(store, name, target, who)
            elif command.lower() == "u" and not note:
                undone = undo_last(store, name, who)
                click.echo(f"undid the {undone[0]} of {undone[1]}" if undone else "nothing to undo")
            else:
                try:
                    label_next(store, name, who, command, note.strip() or None, target_id=target)
                except ScorerSetupError as exc:
                    click.echo(f"error: {exc}", err=True)
