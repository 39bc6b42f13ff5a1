"""``catalogue export --all FILE`` and ``catalogue import --all FILE``: the whole database as one file.

catalogue/cli.py wires these in with ``add_commands(sub)`` on its subparsers."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from catalogue.settings import Settings


@contextmanager
def _progress(label: str) -> Iterator:
    """A progress bar per table on the terminal (stderr), or nothing when stderr is not one."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    if not console.is_terminal:
        yield None
        return
    with Progress(TextColumn(label + " {task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console, transient=True) as bar:
        tasks: dict[str, int] = {}

        def update(table: str, done: int, total: int) -> None:
            if table not in tasks:
                tasks[table] = bar.add_task(table, total=max(total, 1))
            bar.update(tasks[table], completed=done if total else 1)

        yield update


def _summary(summaries, seconds: float, verb: str) -> str:
    width = max((len(s.name) for s in summaries), default=5)
    lines = [f"{'table':<{width}}  {'rows':>8}  sha256"]
    lines += [f"{s.name:<{width}}  {s.rows:>8}  {s.sha256}" for s in summaries]
    total = sum(s.rows for s in summaries)
    lines.append(f"{verb} {total} row(s) of {len(summaries)} table(s) in {seconds:.1f} s.")
    return "\n".join(lines)


async def _open(settings: Settings) -> None:
    from catalogue.migrate import migrate

    await migrate(settings)


async def _export(settings: Settings, path: Path, progress):
    from catalogue.dataio.whole import export_all

    await _open(settings)
    return await export_all(path, progress)


async def _import(settings: Settings, path: Path, replace: bool, progress):
    from catalogue.dataio.whole import import_all

    await _open(settings)
    return await import_all(path, replace=replace, progress=progress)


def cmd_export(args: argparse.Namespace) -> int:
    if not args.all:
        print("Name what to export: --all (the whole database).", file=sys.stderr)
        return 2
    started = time.perf_counter()
    with _progress("Eksporterer") as progress:
        summaries = asyncio.run(_export(Settings.from_env(), Path(args.file), progress))
    print(_summary(summaries, time.perf_counter() - started, f"Exported to {args.file}:"))
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from catalogue.dataio.whole import TransferError

    if not args.all:
        print("Name what to import: --all (the whole database, from `catalogue export --all`).", file=sys.stderr)
        return 2
    started = time.perf_counter()
    try:
        with _progress("Importerer") as progress:
            summaries = asyncio.run(_import(Settings.from_env(), Path(args.file), args.replace, progress))
    except TransferError as exc:
        print(f"Nothing was imported. {exc}", file=sys.stderr)
        return 1
    print(_summary(summaries, time.perf_counter() - started, f"Imported from {args.file}:"))
    print("Check the audit chain with `catalogue audit verify`.")
    return 0


def add_commands(subparsers) -> None:
    """Add ``export`` and ``import`` to the ``catalogue`` command's subparsers."""
    export = subparsers.add_parser("export", help="write the whole database to a file (--all)")
    export.add_argument("--all", action="store_true", required=True,
                        help="every table: catalogue, cases, equipment, users and roles, privacy history, audit log")
    export.add_argument("file", help="the file to write (JSON Lines; gzip when it ends in .gz)")
    export.set_defaults(func=cmd_export)

    load = subparsers.add_parser("import", help="load a whole-database export into an empty database (--all)")
    load.add_argument("--all", action="store_true", required=True, help="the whole database, as exported")
    load.add_argument("file", help="a file written by `catalogue export --all`")
    load.add_argument("--replace", action="store_true",
                      help="delete everything in the target database first (it must otherwise be empty)")
    load.set_defaults(func=cmd_import)
