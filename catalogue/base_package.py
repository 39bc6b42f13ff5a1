"""Changes to the base package: a resource enters it when it is published and marked as part of
the base package, and leaves it when either stops being true (taken out, phased out, archived).

Every write that changes a resource indexes it for search in the same transaction
(catalogue.search.index.index_resources); that is where ``track`` runs, so a change is noted,
and its followers are notified, whichever path made it (an edit, a decision in a case, an import,
a bulk load). Only published facts are kept: the name, what changed, and when."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any, Iterable

from catalogue.search.sql import execute

# the standing a resource leaves the base package for, in the words of the feed and the notices
LEFT_REASONS = {
    "phased_out": "faset ut",
    "archived": "arkivert",
    "removed": "tatt ut av grunnpakken",
    "withdrawn": "ikke lenger publisert",
}
# The tables migration catalogue_0014_following makes (written with SQL here and in catalogue.followers).
TABLES = frozenset({"follow_topic", "base_package_state", "base_package_change", "search_visit"})
ENTERED_REASONS = {"published": "publisert i grunnpakken", "added": "lagt til i grunnpakken"}
TOPIC_KINDS = {"subject": "fag", "level": "trinn", "unit": "enhet"}


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def stamp(value: Any) -> datetime.datetime:
    if isinstance(value, datetime.datetime):
        return value if value.tzinfo else value.replace(tzinfo=datetime.timezone.utc)
    parsed = datetime.datetime.fromisoformat(str(value).replace(" ", "T"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.timezone.utc)


def _marks(count: int) -> str:
    return ", ".join("{}" for _ in range(count))


@dataclass
class Change:
    id: int
    resource: int
    change: str  # entered, left
    reason: str
    name: str
    occurred_at: datetime.datetime

    @property
    def text(self) -> str:
        reasons = ENTERED_REASONS if self.change == "entered" else LEFT_REASONS
        return reasons.get(self.reason, "endret")

    @property
    def title(self) -> str:
        if self.change == "entered":
            return f"{self.name} er med i grunnpakken"
        return f"{self.name} er ikke lenger i grunnpakken"


def _reason(change: str, before: str | None, status: str) -> str:
    if change == "entered":
        return "published" if before != "published" else "added"
    if status == "published":
        return "removed"
    return status if status in ("phased_out", "archived") else "withdrawn"


async def track(ids: Iterable[int]) -> list[Change]:
    """Compare each resource with its last known standing; note every entry into and exit from
    the base package, and notify those who follow its subjects, levels or units. Call inside the
    transaction of the change. Batched, so a bulk load of thousands costs a few statements."""
    ids = sorted({int(i) for i in ids if i})
    made: list[Change] = []
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        rows = await execute(
            "SELECT r.id, r.name, r.status, r.in_base_package, s.in_package, s.status AS before"
            " FROM resource r LEFT JOIN base_package_state s ON s.resource = r.id"
            f" WHERE r.id IN ({_marks(len(chunk))})", *chunk)
        states: list[tuple[int, bool, str]] = []
        changes: list[tuple[int, str, str, str]] = []
        for row in rows:
            now_in = row["status"] == "published" and bool(row["in_base_package"])
            was_in = bool(row["in_package"]) if row["in_package"] is not None else False
            if row["before"] is not None and now_in == was_in and row["before"] == row["status"]:
                continue
            states.append((row["id"], now_in, row["status"]))
            if now_in != was_in:
                change = "entered" if now_in else "left"
                changes.append((row["id"], change, _reason(change, row["before"], row["status"]), row["name"][:200]))
        if states:
            await execute(
                "INSERT INTO base_package_state (resource, in_package, status) VALUES "
                + ", ".join("({}, {}, {})" for _ in states)
                + " ON CONFLICT (resource) DO UPDATE SET in_package = excluded.in_package, status = excluded.status",
                *[v for state in states for v in state])
        if changes:
            when = _now()
            inserted = await execute(
                "INSERT INTO base_package_change (resource, change, reason, name, occurred_at) VALUES "
                + ", ".join("({}, {}, {}, {}, {})" for _ in changes) + " RETURNING id, resource",
                *[v for c in changes for v in (*c, when)])
            numbers = {int(r["resource"]): int(r["id"]) for r in inserted}
            made += [Change(numbers[c[0]], c[0], c[1], c[2], c[3], when) for c in changes]
    if made:
        await _notify(made)
    return made


async def _notify(made: list[Change]) -> None:
    from workflows import notify

    if not await execute("SELECT 1 AS found FROM follow_topic LIMIT 1"):
        return  # nobody follows anything
    by_resource = {c.resource: c for c in made}
    rows: list[dict] = []
    resources = sorted(by_resource)
    for start in range(0, len(resources), 500):
        chunk = resources[start:start + 500]
        rows += await execute(
            "SELECT rf.resource, f.\"user\" AS user_id, f.kind, f.code FROM follow_topic f JOIN resource_facet rf"
            f" ON rf.facet = f.kind AND rf.value = f.code WHERE rf.resource IN ({_marks(len(chunk))})"
            " ORDER BY rf.resource, f.\"user\", f.kind, f.code", *chunk)
    if not rows:
        return
    names = await topic_names()
    reasons: dict[tuple[int, int], list[str]] = {}
    for r in rows:
        reasons.setdefault((r["resource"], r["user_id"]), []).append(names.get((r["kind"], r["code"]), r["code"]))
    for (resource_id, user_id), followed in reasons.items():
        item = by_resource[resource_id]
        intro = ("er nå med i grunnpakken og kan tas i bruk." if item.change == "entered"
                 else f"er ikke lenger i grunnpakken ({item.text}).")
        await notify.enqueue([user_id], "base_package", item.title,
                             f"{item.name} {intro}\nDu får dette fordi du følger: {', '.join(followed)}.",
                             link=f"/ressurser/{item.resource}")


async def topic_names() -> dict[tuple[str, str], str]:
    """(kind, code) → the name a person reads, for subjects, levels and units."""
    names: dict[tuple[str, str], str] = {}
    for kind, sql in (("subject", "SELECT code, name_nb AS name FROM subject"),
                      ("level", "SELECT code, name_nb AS name FROM level"),
                      ("unit", "SELECT code, name FROM unit")):
        for r in await execute(sql):
            names[(kind, r["code"])] = r["name"]
    return names


def _change(r: dict) -> Change:
    return Change(int(r["id"]), int(r["resource"]), r["change"], r["reason"], r["name"], stamp(r["occurred_at"]))


async def recent_changes(limit: int = 100) -> list[Change]:
    """The newest changes to the base package, newest first (the public feed)."""
    rows = await execute("SELECT id, resource, change, reason, name, occurred_at FROM base_package_change"
                         " ORDER BY id DESC LIMIT {}", limit)
    return [_change(r) for r in rows]


async def latest_change_id() -> int:
    rows = await execute("SELECT MAX(id) AS last FROM base_package_change")
    return int(rows[0]["last"] or 0) if rows else 0


# A request to the search page more than this long after the person's previous one starts a new visit.
VISIT_GAP = datetime.timedelta(minutes=30)


async def new_since_last_visit(user_id: int, limit: int = 20) -> tuple[list[Change], bool]:
    """The resources that entered the base package since the person's previous visit of the
    search page (and are still in it), newest first; and whether there was a previous visit.
    Records this request as part of the current visit."""
    from catalogue.db import write_transaction

    now = _now()
    async with write_transaction():
        latest = await latest_change_id()
        rows = await execute('SELECT seen_change, latest_change, last_request_at FROM search_visit WHERE "user" = {}',
                             user_id)
        if not rows:
            await execute('INSERT INTO search_visit ("user", seen_change, latest_change, last_request_at)'
                          " VALUES ({}, {}, {}, {}) ON CONFLICT (\"user\") DO NOTHING", user_id, latest, latest, now)
            return [], False
        row = rows[0]
        seen = int(row["seen_change"])
        if now - stamp(row["last_request_at"]) > VISIT_GAP:
            seen = int(row["latest_change"])  # everything shown in the previous visit is now seen
        await execute('UPDATE search_visit SET seen_change = {}, latest_change = {}, last_request_at = {}'
                      ' WHERE "user" = {}', seen, latest, now, user_id)
    found = await execute(
        "SELECT c.id, c.resource, c.change, c.reason, r.name, c.occurred_at FROM base_package_change c"
        " JOIN base_package_state s ON s.resource = c.resource JOIN resource r ON r.id = c.resource"
        " WHERE c.id > {} AND c.change = {} AND s.in_package = {} ORDER BY c.id DESC",
        seen, "entered", True)
    out: list[Change] = []
    for r in found:
        if all(c.resource != r["resource"] for c in out):
            out.append(_change(r))
    return out[:limit], True
