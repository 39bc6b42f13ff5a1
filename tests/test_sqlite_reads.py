"""SQLite's small reads in the event loop's thread (catalogue.db.PooledSQLiteEngine.read_in_place):
they see what is committed, and a database held by another process never holds the loop."""

from __future__ import annotations

import sqlite3
import threading
import time

from catalogue.db import PooledSQLiteEngine


def _database(tmp_path) -> str:
    # a rollback journal, where a writer's exclusive lock keeps readers out (the service's WAL
    # does so only in rare cases, such as a recovery after a crash)
    path = str(tmp_path / "reads.sqlite3")
    setup = sqlite3.connect(path, isolation_level=None)
    setup.execute("CREATE TABLE state (id INTEGER PRIMARY KEY, generation INTEGER)")
    setup.execute("INSERT INTO state VALUES (1, 7)")
    setup.close()
    return path


def test_a_read_in_place_sees_each_commit_and_gives_way_to_a_locked_database(tmp_path):
    path = _database(tmp_path)
    engine = PooledSQLiteEngine(path=path, timeout=30)
    engine.start_pool(2)
    read = "SELECT generation FROM state WHERE id = 1"
    assert engine.read_in_place(read) == [{"generation": 7}]
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("UPDATE state SET generation = 8 WHERE id = 1")
    assert engine.read_in_place(read) == [{"generation": 8}]  # the same connection, the new commit

    writer.execute("BEGIN EXCLUSIVE")  # another process holding the whole file
    writer.execute("UPDATE state SET generation = 9 WHERE id = 1")
    answers = []
    started = time.monotonic()
    for reader in (lambda: answers.append(engine.read_in_place(read)),) * 2:  # this thread's and a new one's
        thread = threading.Thread(target=reader)
        thread.start()
        thread.join(timeout=10)
    answers.append(engine.read_in_place(read))
    assert answers == [None, None, None]  # the caller reads as usual instead, off the loop
    assert time.monotonic() - started < 5  # not the engine's busy timeout of 30 s
    writer.execute("COMMIT")
    assert engine.read_in_place(read) == [{"generation": 9}]
    writer.close()
