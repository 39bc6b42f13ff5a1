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
    add_resource_commands(subparsers)


# --- the catalogue from a spreadsheet ------------------------------------------------------------

MAX_SHEET_BYTES = 20 * 1024 * 1024


@contextmanager
def _row_progress(label: str) -> Iterator:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    if not console.is_terminal:
        yield None
        return
    with Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console,
                  transient=True) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


async def _sheet_import(settings: Settings, sheet, apply: bool, in_use: bool, progress):
    import getpass

    from catalogue.dataio import resource_import
    from catalogue.security.access import Principal

    await _open(settings)
    if not apply:
        return await resource_import.check(sheet, in_use, progress)
    try:
        who = getpass.getuser()
    except Exception:  # no user name in this environment
        who = "unknown"
    actor = Principal(name=f"regnearkimport (kommandolinje, {who})")
    return await resource_import.apply(sheet, actor, in_use, progress)


def cmd_resources_import(args: argparse.Namespace) -> int:
    from catalogue import spreadsheets
    from catalogue.dataio import resource_import

    path = Path(args.file)
    try:
        size = path.stat().st_size
        if size > MAX_SHEET_BYTES:
            print(f"Filen er for stor ({size // (1024 * 1024)} MB); grensen er {MAX_SHEET_BYTES // (1024 * 1024)} MB.",
                  file=sys.stderr)
            return 1
        content = path.read_bytes()
    except OSError as exc:
        print(f"Kan ikke lese {path}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    started = time.perf_counter()
    try:
        sheet = resource_import.read_sheet(content, path.name)
    except spreadsheets.SpreadsheetError as exc:
        print(f"Ingenting importert: {path.name} kan ikke leses som regneark. {resource_import.sheet_message(str(exc))}",
              file=sys.stderr)
        return 1
    with _row_progress("Skriver" if args.apply else "Sjekker") as progress:
        plan = asyncio.run(_sheet_import(Settings.from_env(), sheet, args.apply, args.in_use, progress))
    if args.json:
        print(resource_import.plan_json(plan))
    else:
        lines = resource_import.report_lines(plan, applied=args.apply and not plan.problems)
        print("\n".join(lines))
    seconds = time.perf_counter() - started
    if plan.problems:
        print("Ingenting importert.", file=sys.stderr)
        return 1
    if args.apply:
        print(f"Skrevet på {seconds:.1f} s.", file=sys.stderr)
    else:
        print(f"Prøvekjøring ({seconds:.1f} s): ingenting er skrevet. Kjør igjen med --apply for å importere.",
              file=sys.stderr)
    return 0


def add_resource_commands(subparsers) -> None:
    """Add ``resources import`` to the ``catalogue`` command's subparsers."""
    resources = subparsers.add_parser("resources", help="the catalogue from and to spreadsheets")
    actions = resources.add_subparsers(dest="resources_command", required=True)
    sheet = actions.add_parser("import", help="import resources from a CSV or XLSX sheet (a dry run unless --apply)")
    sheet.add_argument("file", help="the sheet (.csv or .xlsx)")
    sheet.add_argument("--apply", action="store_true", help="write what the dry run reports")
    sheet.add_argument("--in-use", action="store_true",
                       help="new resources are already in use (published) rather than drafts")
    sheet.add_argument("--json", action="store_true", help="the report as JSON")
    sheet.set_defaults(func=cmd_resources_import)
