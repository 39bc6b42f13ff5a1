"""``catalogue curriculum import``: the LK20 curricula and competence aims from Udir's Grep.

catalogue/cli.py wires this in with ``add_commands(sub)`` on its subparsers."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from contextlib import contextmanager
from typing import Iterator

from catalogue.settings import Settings


@contextmanager
def _progress() -> Iterator:
    """A bar over the subjects and the Grep document being read, on stderr when it is a terminal."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    if not console.is_terminal:
        yield None, None
        return
    with Progress(TextColumn("Læreplaner fra Grep {task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console, transient=True) as bar:
        task = bar.add_task("", total=None)

        def subjects(what: str, done: int, total: int) -> None:
            bar.update(task, completed=done, total=total, description=what)

        def request(path: str) -> None:
            bar.update(task, description=path)

        yield subjects, request


def grep_client(base_url: str, timeout: float, retries: int, on_request):
    """The client the command reads Grep with."""
    from catalogue.curriculum.grep import GrepClient

    return GrepClient(base_url, timeout=timeout, retries=retries, on_request=on_request)


async def _run(settings: Settings, base_url: str, timeout: float, retries: int, subjects, request):
    from catalogue.curriculum.importer import import_curriculum
    from catalogue.migrate import migrate

    await migrate(settings)
    async with grep_client(base_url, timeout, retries, request) as client:
        return await import_curriculum(client, subjects)


def describe(report) -> str:
    lines = []
    for subject, old, new in report.subjects_moved:
        lines.append(f"{subject}: curriculum {old} replaced by {new}")
    lines.append(f"Competence aims: {report.aims_added} added, {report.aims_updated} updated, "
                 f"{report.aims_retired} no longer in the curriculum.")
    lines.append(f"Resources: {len(report.resources_changed)} got the new curriculum's aims, "
                 f"{report.reindexed} re-indexed.")
    if report.unmapped:
        lines.append("Aims Grep does not link to the new curriculum (kept on the resource; tag it anew):")
        lines += [f"  resource {u.resource_id} ({u.resource_name}): {u.code}" for u in report.unmapped]
    for subject, why in report.skipped:
        lines.append(f"Skipped {subject}: {why}")
    if not report.changed:
        lines.append("Nothing changed: the catalogue already matches Grep.")
    return "\n".join(lines)


def cmd_curriculum_import(args: argparse.Namespace) -> int:
    from catalogue.curriculum.grep import GrepError

    try:
        with _progress() as (subjects, request):
            report = asyncio.run(_run(Settings.from_env(), args.base_url, args.timeout, args.retries, subjects, request))
    except GrepError as exc:
        print(f"Nothing was imported. {exc}", file=sys.stderr)
        return 1
    print(describe(report))
    return 0


def add_commands(subparsers) -> None:
    """Add ``curriculum import`` to the ``catalogue`` command's subparsers."""
    curriculum = subparsers.add_parser("curriculum", help="the LK20 curricula and competence aims")
    actions = curriculum.add_subparsers(dest="curriculum_action", required=True)
    load = actions.add_parser("import", help="read the subjects' curricula and competence aims from Udir's Grep")
    load.add_argument("--base-url", default=os.environ.get("GREP_BASE_URL", "https://data.udir.no/kl06/v201906"),
                      help="Grep's address (default: GREP_BASE_URL or https://data.udir.no/kl06/v201906)")
    load.add_argument("--timeout", type=float, default=15.0, help="seconds to wait for each answer (default 15)")
    load.add_argument("--retries", type=int, default=3, help="more tries after a timeout or a 5xx answer (default 3)")
    load.set_defaults(func=cmd_curriculum_import)
