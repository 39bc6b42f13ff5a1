"""The curriculum import: every subject's LK20 curriculum and competence aims from Grep, written
in one transaction.

Everything is read from Grep first; nothing is written when Grep fails. A curriculum that Grep
marks as replaced (``erstattes-av``) moves its subject to the new code; resources tagged with
the old curriculum's aims get the new aims where Grep links them, and keep (and the report lists)
the aims that Grep does not link. A second run with the same answers changes nothing."""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass, field
from typing import Any, Callable

from catalogue.curriculum.grep import AimSet, Curriculum, GrepClient, GrepError, GrepNotFound
from catalogue.db import write_transaction
from catalogue.search.index import index_resources
from catalogue.search.sql import execute
from workflows import audit

MAX_REPLACEMENTS = 5  # a chain of replaced curricula longer than this is taken as a loop


@dataclass
class AimRow:
    code: str
    subject: str
    curriculum: str
    trinn: str
    levels: list[str]
    text_nb: str
    text_nn: str
    is_current: bool
    replaced_by: str | None
    sort_order: int


@dataclass
class SubjectPlan:
    subject: str
    old_code: str | None  # the code the subject had
    code: str  # the code it gets: the end of Grep's chain of replacements
    replaced: list[str]  # curricula of the subject that Grep has replaced


@dataclass
class Plan:
    subjects: list[SubjectPlan] = field(default_factory=list)
    aims: dict[str, AimRow] = field(default_factory=dict)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (subject, why)


@dataclass
class Unmapped:
    resource_id: int
    resource_name: str
    code: str


@dataclass
class ImportReport:
    subjects_moved: list[tuple[str, str, str]] = field(default_factory=list)  # (subject, old code, new code)
    aims_added: int = 0
    aims_updated: int = 0
    aims_retired: int = 0
    resources_changed: list[int] = field(default_factory=list)  # aims mapped to the new curriculum
    reindexed: int = 0
    unmapped: list[Unmapped] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.subjects_moved or self.aims_added or self.aims_updated or self.aims_retired
                    or self.resources_changed)


Progress = Callable[[str, int, int], None]  # (what is being read, subjects done, subjects in all)


async def _sets(client: GrepClient, curriculum: Curriculum) -> list[AimSet]:
    sets = [await client.aim_set(code) for code in curriculum.aim_sets]
    return [s for s in sets if s.after_trinn is not None]  # grunnskole trinn only


async def read_plan(client: GrepClient, progress: Progress | None = None) -> Plan:
    """What Grep says of every subject with a curriculum code. Grep failing raises GrepError;
    a subject whose curriculum Grep does not know is skipped and listed."""
    subjects = await execute("SELECT code, curriculum_code, previous_curriculum_code FROM subject ORDER BY sort_order, code")
    plan = Plan()
    for done, subject in enumerate(subjects):
        code = subject["curriculum_code"]
        if progress:
            progress(f"{subject['code']} {code or ''}".strip(), done, len(subjects))
        if not code:
            plan.skipped.append((subject["code"], "no curriculum code"))
            continue
        try:
            curriculum = await client.curriculum(code)
        except GrepNotFound:
            plan.skipped.append((subject["code"], f"Grep does not know curriculum {code}"))
            continue
        replaced: list[str] = []
        while curriculum.replaced_by:
            if len(replaced) >= MAX_REPLACEMENTS or curriculum.replaced_by[0] in replaced:
                raise GrepError(f"the replacements of curriculum {code} go round in a loop")
            replaced.append(curriculum.code)
            curriculum = await client.curriculum(curriculum.replaced_by[0])
        previous = subject["previous_curriculum_code"]
        old_curricula: list[Curriculum] = []
        for old_code in replaced:
            old_curricula.append(await client.curriculum(old_code))
        if previous and previous != curriculum.code and previous not in replaced:
            try:
                old_curricula.append(await client.curriculum(previous))
                replaced.append(previous)
            except GrepNotFound:
                pass
        plan.subjects.append(SubjectPlan(subject["code"], code, curriculum.code, replaced))
        order = 0
        for aims_set in await _sets(client, curriculum):
            for aim_code in aims_set.aims:
                if aim_code in plan.aims:
                    continue
                aim = await client.aim(aim_code)
                order += 1
                plan.aims[aim_code] = AimRow(aim_code, subject["code"], curriculum.code, aims_set.after_trinn or "",
                                             aims_set.levels, aim.text_nb, aim.text_nn, True, None, order)
        for old in old_curricula:
            for aims_set in await _sets(client, old):
                for aim_code in aims_set.aims:
                    if aim_code in plan.aims:
                        continue
                    aim = await client.aim(aim_code)
                    order += 1
                    successor = next((c for c in aim.replaced_by), None)
                    plan.aims[aim_code] = AimRow(aim_code, subject["code"], old.code, aims_set.after_trinn or "",
                                                 aims_set.levels, aim.text_nb, aim.text_nn, False, successor, order)
    if progress:
        progress("", len(subjects), len(subjects))
    return plan


def _list(value: Any) -> list[str]:
    return [str(v) for v in (json.loads(value) if isinstance(value, str) else (value or []))]


_FIELDS = ("subject", "curriculum", "trinn", "levels", "text_nb", "text_nn", "is_current", "replaced_by", "sort_order")


def _values(row: AimRow) -> dict[str, Any]:
    values = {name: getattr(row, name) for name in _FIELDS}
    values["levels"] = json.dumps(row.levels)
    return values


async def apply_plan(plan: Plan, actor: str = "curriculum import") -> ImportReport:
    """Write what Grep says, in one transaction; only what differs is written."""
    report = ImportReport(skipped=list(plan.skipped))
    stamp = datetime.datetime.now(datetime.timezone.utc)
    async with write_transaction():
        existing = {r["code"]: r for r in await execute(
            "SELECT code, subject, curriculum, trinn, levels, text_nb, text_nn, is_current, replaced_by, sort_order"
            " FROM competence_aim")}
        text_changed: set[str] = set()
        for code, row in plan.aims.items():
            values = _values(row)
            old = existing.get(code)
            if old is None:
                await execute(f"INSERT INTO competence_aim (code, {', '.join(_FIELDS)}, updated_at) VALUES"
                              f" ({', '.join('{}' for _ in range(len(_FIELDS) + 2))})", code, *values.values(), stamp)
                report.aims_added += 1
                text_changed.add(code)
                continue
            differs = {k: v for k, v in values.items()
                       if (bool(old[k]) if k == "is_current" else old[k]) != v}
            if differs:
                sets = ", ".join(f"{k} = {{}}" for k in differs)
                await execute(f"UPDATE competence_aim SET {sets}, updated_at = {{}} WHERE code = {{}}",
                              *differs.values(), stamp, code)
                report.aims_updated += 1
                if "text_nb" in differs or "text_nn" in differs:
                    text_changed.add(code)
        # aims of a subject's current curriculum that Grep no longer lists
        read = {s.subject: s for s in plan.subjects}
        for code, old in existing.items():
            subject = read.get(old["subject"])
            if subject and code not in plan.aims and old["is_current"] and old["curriculum"] in (
                    subject.code, *subject.replaced):
                await execute("UPDATE competence_aim SET is_current = {}, updated_at = {} WHERE code = {}",
                              False, stamp, code)
                report.aims_retired += 1
        for subject in plan.subjects:
            if subject.old_code != subject.code:
                await execute("UPDATE subject SET curriculum_code = {}, previous_curriculum_code = {} WHERE code = {}",
                              subject.code, subject.old_code, subject.subject)
                await audit.append("subject.curriculum_replaced", "subject", subject.subject,
                                   {"from": subject.old_code, "to": subject.code}, actor=actor)
                report.subjects_moved.append((subject.subject, subject.old_code or "", subject.code))
        mapping = {c: r.replaced_by for c, r in plan.aims.items()
                   if not r.is_current and r.replaced_by and r.replaced_by in plan.aims
                   and plan.aims[r.replaced_by].is_current}
        old_aims = {c for c, r in plan.aims.items() if not r.is_current}
        touched: set[int] = set()
        resources = await execute("SELECT id, name, competence_aims, version FROM resource")
        for resource in resources:
            codes = _list(resource["competence_aims"])
            if not codes:
                continue
            mapped = list(dict.fromkeys(mapping.get(c, c) for c in codes))
            for c in codes:
                if c in old_aims and c not in mapping:
                    report.unmapped.append(Unmapped(resource["id"], resource["name"], c))
            if mapped != codes:
                await execute("UPDATE resource SET competence_aims = {}, version = {}, updated_at = {},"
                              " updated_by = {} WHERE id = {}", json.dumps(mapped), resource["version"] + 1,
                              stamp, actor, resource["id"])
                await audit.append("resource.competence_aims_mapped", "resource", resource["id"],
                                   {"from": codes, "to": mapped}, actor=actor)
                report.resources_changed.append(resource["id"])
                touched.add(resource["id"])
            elif text_changed.intersection(codes):
                touched.add(resource["id"])
        if touched:
            await index_resources(sorted(touched))
        report.reindexed = len(touched)
        if report.changed:
            await audit.append("curriculum.import", "curriculum", "grep", {
                "subjects_moved": [list(m) for m in report.subjects_moved], "aims_added": report.aims_added,
                "aims_updated": report.aims_updated, "aims_retired": report.aims_retired,
                "resources_changed": report.resources_changed}, actor=actor)
    return report


async def import_curriculum(client: GrepClient, progress: Progress | None = None,
                            actor: str = "curriculum import") -> ImportReport:
    return await apply_plan(await read_plan(client, progress), actor)
