"""``catalogue search …``: maintain the search index from the command line.

catalogue/cli.py wires this in with ``add_commands(sub)`` on its subparsers."""

from __future__ import annotations

import argparse
import asyncio
import time

from catalogue.settings import Settings


async def _reindex(settings: Settings) -> int:
    from catalogue.migrate import migrate
    from catalogue.search.index import reindex

    await migrate(settings)
    return await reindex()


def cmd_search_reindex(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    count = asyncio.run(_reindex(Settings.from_env()))
    print(f"Indexed {count} resource(s) in {time.perf_counter() - started:.1f} s.")
    return 0


def add_commands(subparsers) -> None:
    """Add ``search reindex`` to the ``catalogue`` command's subparsers."""
    search = subparsers.add_parser("search", help="maintain the search index")
    actions = search.add_subparsers(dest="search_command", required=True)
    actions.add_parser(
        "reindex", help="rebuild the search index of every resource from the tables (after changing the"
                        " text analysis, or to repair it); searches see the old index until it is done",
    ).set_defaults(func=cmd_search_reindex)
