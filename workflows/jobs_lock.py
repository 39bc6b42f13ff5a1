"""Which process runs the background jobs (the revision scheduler, the overdue watch, reminders,
digests and the e-mail outbox).

Exactly one process per database holds the jobs lock at a time; the others serve requests and
try to take the lock at each round, so when the holder dies (a crash, SIGKILL, a restart) another
worker takes over within one round:

* PostgreSQL: a session-level advisory lock (``pg_try_advisory_lock``) on a connection of its own.
  The server drops it the moment that connection closes, which it does when the process dies.
* SQLite: an exclusive ``flock`` on a file beside the database (``<database>.jobs-lock``); the
  kernel drops it when the process dies. This is also the single-writer rule for the jobs.

A new holder knows that every outbox row left ``sending`` belongs to a sender that is gone (only
the holder sends), and hands those rows back to ``pending`` at once instead of waiting for the
claim to expire: each notification is sent once, also after a kill in the middle of a batch."""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import logging
import os
from pathlib import Path

from catalogue.db import sqlite_path, write_transaction
from catalogue.settings import Settings

log = logging.getLogger("catalogue.jobs")
# a fixed 64-bit key of this service's jobs lock in pg_advisory_lock's key space
ADVISORY_KEY = 0x4C4B_4A4F_4253  # "LKJOBS"


def lock_file_of(settings: Settings) -> Path:
    return Path(sqlite_path(settings.database_url) + ".jobs-lock")


class JobsLock:
    """The jobs lock of one process; ``acquire`` never waits."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._connection = None  # PostgreSQL: the connection that holds the advisory lock
        self._fd: int | None = None  # SQLite: the open lock file

    @property
    def held(self) -> bool:
        if self.settings.is_sqlite:
            return self._fd is not None
        return self._connection is not None and not self._connection.is_closed()

    async def acquire(self) -> bool:
        """Take the lock if no other process holds it. True when this process holds it now;
        a newly taken lock first hands orphaned deliveries back to the outbox."""
        if self.held and await self._still_held():
            return True
        taken = await (self._take_sqlite() if self.settings.is_sqlite else self._take_postgresql())
        if taken:
            released = await release_orphaned_claims()
            log.info("this process (pid %s) runs the background jobs%s", os.getpid(),
                     f"; {released} unfinished delivery(ies) handed back to the outbox" if released else "")
        return taken

    async def _still_held(self) -> bool:
        if self.settings.is_sqlite:
            return True
        try:
            await self._connection.fetchval("SELECT 1")
            return True
        except Exception:  # the connection is gone (a database restart): the lock went with it
            log.warning("lost the connection that held the jobs lock; trying to take it again")
            await self._drop_connection()
            return False

    async def _take_sqlite(self) -> bool:
        fd = os.open(lock_file_of(self.settings), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    async def _take_postgresql(self) -> bool:
        import asyncpg

        if self._connection is None or self._connection.is_closed():
            try:
                self._connection = await asyncpg.connect(self.settings.database_url, timeout=10)
            except Exception:  # the database is down; the next round tries again
                self._connection = None
                return False
        try:
            taken = await self._connection.fetchval("SELECT pg_try_advisory_lock($1)", ADVISORY_KEY)
        except Exception:
            await self._drop_connection()
            return False
        if not taken:
            await self._drop_connection()
        return bool(taken)

    async def _drop_connection(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(Exception):
                await connection.close(timeout=5)

    async def release(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            with contextlib.suppress(OSError):
                fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
        await self._drop_connection()

    async def __aenter__(self) -> "JobsLock":
        return self

    async def __aexit__(self, *exc) -> None:
        await self.release()


async def release_orphaned_claims() -> int:
    """Hand rows left ``sending`` back to ``pending`` (call only while holding the jobs lock)."""
    from workflows.tables import Notification

    async with write_transaction():
        rows = await Notification.update({
            Notification.delivery: "pending",
            Notification.next_attempt_at: datetime.datetime.now(datetime.timezone.utc),
        }).where(Notification.delivery == "sending").returning(Notification.id)
    return len(rows)
