"""``catalogue privacy-history check [--record]``: find resources whose newest history row does not
match the tables (a write that did not record itself), and record them as they are now.

catalogue/cli.py wires this in with ``add_commands(sub)`` on its subparsers."""

from __future__ import annotations

import argparse
import asyncio

from catalogue.settings import Settings


async def _check(settings: Settings, record: bool) -> tuple[list[int], int]:
    from catalogue.db import write_transaction
    from catalogue.migrate import migrate
    from catalogue.privacy_docs.history import drift, record_changes

    await migrate(settings)
    found = await drift()
    written = 0
    if record and found:
        async with write_transaction():
            written = await record_changes(found, actor="catalogue privacy-history check", source="check")
    return found, written


def cmd_check(args: argparse.Namespace) -> int:
    found, written = asyncio.run(_check(Settings.from_env(), args.record))
    if not found:
        print("The history of privacy records matches every resource.")
        return 0
    shown = ", ".join(map(str, found[:20])) + (" …" if len(found) > 20 else "")
    if args.record:
        print(f"Recorded the present state of {written} resource(s) whose history was behind: {shown}.")
        return 0
    print(f"{len(found)} resource(s) differ from their newest history row: {shown}. "
          "Run with --record to record them as they are now.")
    return 1


def add_commands(subparsers) -> None:
    history = subparsers.add_parser("privacy-history", help="the history of privacy records (record of processing)")
    actions = history.add_subparsers(dest="history_command", required=True)
    check = actions.add_parser("check", help="compare each resource with its newest history row; exit 1 on a "
                                             "difference")
    check.add_argument("--record", action="store_true", help="record the differing resources as they are now")
    check.set_defaults(func=cmd_check)
