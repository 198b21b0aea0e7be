"""`evaltui align SCORER`: align an LLM judge to its human labels (a dev/test split,
few-shot and rubric-edit candidates, the best saved as a new rubric version)."""

from __future__ import annotations

from pathlib import Path

import click

from evaltui.cli.common import db_option, open_store, user_errors


@click.command()
@click.argument("scorer")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the dev/test split of the labels.")
@click.option(
    "--test-share",
    type=click.FloatRange(0.1, 0.9),
    default=0.5,
    show_default=True,
    help="Share of the labels held out as the test part.",
)
@click.option(
    "--shots",
    default="4,8,16",
    show_default=True,
    metavar="K,K,...",
    help="Sizes of the few-shot candidates (graded examples from the dev part).",
)
@click.option("--no-edit", is_flag=True, help="Do not ask the model for a rubric edit candidate.")
@click.option(
    "--save-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where the chosen rubric is written (default: rubrics/ beside the database).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@db_option
@user_errors
def align(
    scorer: str, seed: int, test_share: float, shots: str, no_edit: bool, save_dir: Path | None, as_json: bool
) -> None:
    """Align the LLM judge of rubric SCORER (e.g. brand_alignment, or a rubric file) to the
    human labels: split them (seeded) into dev and test, build candidate rubric versions from
    the dev part, score both parts with each, print each version's agreement on the test
    part next to the current one's, and save the best as a new rubric version."""
    from evaltui.cli.common import UserError
    from evaltui.llm import LLMClient
    from evaltui.scoring.align import AlignOptions
    from evaltui.scoring.align import align as run
    from evaltui.store.llm_cache import LLMCache

    try:
        sizes = tuple(sorted({int(k) for k in shots.split(",") if k.strip()}))
    except ValueError:
        raise UserError(f"--shots takes sizes such as 4,8,16, not {shots!r}") from None
    if any(k < 1 for k in sizes):
        raise UserError("--shots sizes must be at least 1")
    options = AlignOptions(seed=seed, test_share=test_share, shots=sizes, propose_edit=not no_edit, save_dir=save_dir)
    with open_store() as store:
        client = LLMClient.from_settings(cache=LLMCache(store))
        report = run(
            store,
            scorer,
            client,
            options=options,
            echo=(lambda m: None) if as_json else (lambda m: click.echo(m, err=True)),
        )
    from evaltui.cli.render import echo_json, print_alignment

    if as_json:
        echo_json(report)
    else:
        print_alignment(report)
