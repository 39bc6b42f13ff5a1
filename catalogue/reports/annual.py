"""The annual report (kvalitetsmelding) for a year, for the municipality or one unit: the base
package per level band and subject and per kindergarten area with its gaps, the share of
resources in use with a DPA and a DPIA, revisions done on time and overdue, cases opened and
decided with the days each step took, rejections and returns with their reasons, and licence
cost by unit and per pupil.

Everything comes from the tables the rest of the service shows: the state of the resources at
the end of the year from the history of privacy records (now, for the current year), the cases
and their events. How each figure is counted is written beside it below and in the README."""

from __future__ import annotations

import datetime
import json
import statistics
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Optional

import msgspec
from msgspec import Struct

from catalogue.gc_pause import gc_paused
from catalogue.privacy_docs.history import as_utc, live_snapshots, snapshots_as_of
from catalogue.privacy_docs.record import IN_USE, TIMEZONE, local_today
from catalogue.problems import Problem, field_error
from catalogue.search.sql import execute
from catalogue.settings import Settings
from catalogue.taxonomy import norwegian_sort_key
from catalogue.visibility import BANDS
from workflows.definitions import PROPOSER, WORKFLOWS
from equipment.plan import annual_figures
from equipment.schemas import AnnualFigures

SCHOOL_BANDS = ("1-4", "5-7", "8-10")
BAND_RANGES = {"1-4": (1, 4), "5-7": (5, 7), "8-10": (8, 10)}
FIRST_YEAR = 2000


# --- the report's shape -----------------------------------------------------------------------


class Named(Struct, kw_only=True):
    code: str
    name: str


class Cell(Struct, kw_only=True):
    subject: str
    applicable: bool  # the subject is taught on the band (its levels overlap the band)
    count: Optional[int]  # None where not applicable
    gap: bool  # applicable and no resource


class BandRow(Struct, kw_only=True):
    band: str
    total: int  # distinct resources with a level in the band
    cells: list[Cell]


class AreaRow(Struct, kw_only=True):
    area: str
    name: str
    count: int
    gap: bool


class PrivacyShares(Struct, kw_only=True):
    """Resources in use (published or being phased out) that process personal data."""

    in_use: int
    processing: int
    not_assessed: int
    with_dpa: int  # DPA signed
    with_dpia: int  # DPIA completed
    dpia_not_required: int
    dpa_share: Optional[float]  # with_dpa / processing
    dpia_share: Optional[float]  # with_dpia / processing


class Revisions(Struct, kw_only=True):
    opened: int  # revision cases opened in the year
    completed: int  # revision cases closed in the year
    on_time: int  # of those: every step decided within STEP_DUE_DAYS
    late: int
    overdue: int  # open at the end of the period with the current step past its due date


class CaseCounts(Struct, kw_only=True):
    kind: str
    opened: int
    decided: int
    outcomes: dict[str, int]


class Timing(Struct, kw_only=True):
    key: str  # a step (state) or a decision
    kind: Optional[str]
    count: int
    median_days: Optional[float]
    p90_days: Optional[float]


class DecisionNote(Struct, kw_only=True):
    date: datetime.date
    case_id: int
    title: str
    kind: str
    step: str
    decision: str
    action: str
    reason: str


class DecisionCount(Struct, kw_only=True):
    kind: str
    step: str
    decision: str
    count: int


class CostRow(Struct, kw_only=True):
    unit: str
    name: str
    pupils: Optional[int]
    own_cost: int  # resources for named units, split evenly between the units named
    base_share: Optional[int]  # the base package's cost per pupil times the unit's pupils
    total: Optional[int]
    per_pupil: Optional[float]


class Costs(Struct, kw_only=True):
    base_total: int
    base_resources: int
    units_total: int
    total_pupils: int
    base_per_pupil: Optional[float]
    unknown_cost_resources: int
    rows: list[CostRow]


class Participation(Struct, kw_only=True):
    """Staff taking part: tips shared in the period (still kept: deleted ones are gone), by how many
    people, and the consultations opened in the period with their response rate."""

    tips: int = 0
    tip_authors: int = 0
    consultations: int = 0
    invited: int = 0
    answered: int = 0
    response_rate: Optional[float] = None


class AnnualReport(Struct, kw_only=True):
    year: int
    unit: Optional[Named]
    period_start: datetime.date
    period_end: datetime.date  # the last day counted
    has_data: bool
    step_due_days: int
    subjects: list[Named]
    bands: list[str]
    base_package: list[BandRow]
    base_package_gaps: int
    kindergarten: list[AreaRow]
    privacy: PrivacyShares
    revisions: Revisions
    cases: list[CaseCounts]
    step_timing: list[Timing]
    decision_timing: list[Timing]
    decisions: list[DecisionNote]
    decision_counts: list[DecisionCount]
    costs: Costs
    participation: Participation = msgspec.field(default_factory=Participation)
    # the equipment package's figures (the whole municipality's; absent from a unit's report)
    equipment: Optional[AnnualFigures] = None


# --- helpers ----------------------------------------------------------------------------------


def parse_year(raw: str | int | None, today: datetime.date | None = None) -> int:
    """A year from a query: four digits, from 2000 to this year. Empty means this year."""
    today = today or local_today()
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return today.year
    text = str(raw).strip()
    if not (text.isdigit() and len(text) == 4):
        raise field_error("year", "must be a year written with four digits, e.g. 2026")
    year = int(text)
    if year > today.year:
        raise field_error("year", "cannot be in the future")
    if year < FIRST_YEAR:
        raise field_error("year", f"must be {FIRST_YEAR} or later")
    return year


def _local_day(stamp: datetime.datetime) -> datetime.date:
    return stamp.astimezone(TIMEZONE).date()


def _json(value: Any, default: Any) -> Any:
    if value is None:
        return default
    if isinstance(value, (list, dict)):
        return value
    return json.loads(value)


def kroner(value: float | Decimal) -> int:
    return int(Decimal(str(value)).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def _share(part: int, whole: int) -> Optional[float]:
    return round(part / whole, 4) if whole else None


def percentile_summary(days: list[int]) -> tuple[Optional[float], Optional[float]]:
    """Median and 90th percentile (linear between closest ranks, statistics' 'inclusive')."""
    if not days:
        return None, None
    if len(days) == 1:
        return float(days[0]), float(days[0])
    return float(statistics.median(days)), round(statistics.quantiles(days, n=10, method="inclusive")[8], 2)


# --- the pieces -------------------------------------------------------------------------------


def _available(snapshot: dict[str, Any], unit: str | None) -> bool:
    return bool(snapshot.get("in_base_package")) or (unit is not None and unit in (snapshot.get("units") or []))


def _base_package(snapshots: dict[int, dict], subjects: list[dict], bands: list[str],
                  unit: str | None) -> tuple[list[BandRow], int]:
    chosen = [s for s in snapshots.values() if s.get("status") == "published" and _available(s, unit)]
    rows, gaps = [], 0
    for band in bands:
        band_levels = set(BANDS[band])
        in_band = [s for s in chosen if band_levels & set(s.get("levels") or [])]
        low, high = BAND_RANGES[band]
        cells = []
        for subject in subjects:
            applicable = subject["level_from"] <= high and subject["level_to"] >= low
            count = sum(1 for s in in_band if subject["code"] in (s.get("subjects") or [])) if applicable else None
            gap = applicable and count == 0
            gaps += gap
            cells.append(Cell(subject=subject["code"], applicable=applicable, count=count, gap=gap))
        rows.append(BandRow(band=band, total=len(in_band), cells=cells))
    return rows, gaps


def _kindergarten(snapshots: dict[int, dict], areas: list[dict], unit: str | None) -> list[AreaRow]:
    chosen = [s for s in snapshots.values() if s.get("status") == "published" and _available(s, unit)
              and "barnehage" in (s.get("levels") or [])]
    rows = []
    for area in areas:
        count = sum(1 for s in chosen if area["code"] in (s.get("kindergarten_areas") or []))
        rows.append(AreaRow(area=area["code"], name=area["name_nb"], count=count, gap=count == 0))
    return rows


def _privacy(in_use: list[dict]) -> PrivacyShares:
    processing = [s for s in in_use if s["privacy"].get("processes_personal_data") is True
                  and "privacy" not in (s.get("unknown") or [])]
    not_assessed = sum(1 for s in in_use if s["privacy"].get("processes_personal_data") is None
                       or "privacy" in (s.get("unknown") or []))
    with_dpa = sum(1 for s in processing if s["privacy"].get("dpa_status") == "signed")
    with_dpia = sum(1 for s in processing if s["privacy"].get("dpia_status") == "completed")
    not_required = sum(1 for s in processing if s["privacy"].get("dpia_status") == "not_required")
    return PrivacyShares(in_use=len(in_use), processing=len(processing), not_assessed=not_assessed,
                         with_dpa=with_dpa, with_dpia=with_dpia, dpia_not_required=not_required,
                         dpa_share=_share(with_dpa, len(processing)), dpia_share=_share(with_dpia, len(processing)))


def _costs(in_use: dict[int, dict], units: list[dict], unit: str | None) -> Costs:
    base = [s for s in in_use.values() if s.get("in_base_package")]
    base_total = sum(s["annual_cost_nok"] or 0 for s in base)
    unknown = sum(1 for s in in_use.values() if s.get("annual_cost_nok") is None)
    own: dict[str, Decimal] = {u["code"]: Decimal(0) for u in units}
    for s in in_use.values():
        named = [u for u in dict.fromkeys(s.get("units") or []) if u in own]
        if s.get("in_base_package") or not named or s.get("annual_cost_nok") is None:
            continue
        part = Decimal(s["annual_cost_nok"]) / len(named)
        for code in named:
            own[code] += part
    pupils = {u["code"]: u["pupil_count"] for u in units}
    total_pupils = sum(p for p in pupils.values() if p)
    per_pupil = Decimal(base_total) / total_pupils if total_pupils else None
    rows = []
    for u in units:
        if unit is not None and u["code"] != unit:
            continue
        count = pupils[u["code"]]
        own_cost = kroner(own[u["code"]])
        share = kroner(per_pupil * count) if per_pupil is not None and count is not None else None
        total = own_cost + share if share is not None else None
        rows.append(CostRow(unit=u["code"], name=u["name"], pupils=count, own_cost=own_cost, base_share=share,
                            total=total, per_pupil=round(float((own[u["code"]] + per_pupil * count) / count), 2)
                            if count and per_pupil is not None else None))
    units_total = kroner(sum(own.values(), Decimal(0)))
    return Costs(base_total=base_total, base_resources=len(base), units_total=units_total,
                 total_pupils=total_pupils, base_per_pupil=round(float(per_pupil), 2) if per_pupil is not None else None,
                 unknown_cost_resources=unknown, rows=rows)


def _decision_of(kind: str, state: str, action: str) -> str:
    workflow = WORKFLOWS[kind]
    step = workflow.states.get(state)
    found = (step.actions.get(action) if step else None) or workflow.proposer_actions.get(action)
    return (found.decision if found and found.decision else action)


def _is_review(kind: str, state: str) -> bool:
    step = WORKFLOWS[kind].states.get(state)
    return bool(step and not step.is_final and step.actor not in (None, PROPOSER))


class _Exit(Struct):
    kind: str
    state: str
    action: str
    decision: str
    entered: datetime.datetime
    left: datetime.datetime
    days: int


def _walk(kind: str, events: list[dict]) -> tuple[list[_Exit], tuple[str | None, datetime.datetime | None]]:
    """The review steps a case went through (entered, left, how), and where it stood last."""
    exits: list[_Exit] = []
    state: str | None = None
    entered: datetime.datetime | None = None
    for e in events:
        if e["to_state"] is None:
            continue
        when = as_utc(e["occurred_at"])
        if state is not None and entered is not None and e["from_state"] == state and _is_review(kind, state):
            exits.append(_Exit(kind=kind, state=state, action=e["action"],
                               decision=_decision_of(kind, state, e["action"]), entered=entered, left=when,
                               days=(_local_day(when) - _local_day(entered)).days))
        state, entered = e["to_state"], when
    return exits, (state, entered)


# --- the report -------------------------------------------------------------------------------


async def _units() -> list[dict]:
    rows = await execute("SELECT code, name, kind, levels, pupil_count, active FROM unit")
    out = [{**r, "levels": _json(r["levels"], [])} for r in rows]
    return sorted(out, key=lambda u: (u["kind"], norwegian_sort_key(u["name"]), u["code"]))


@gc_paused
async def build_report(settings: Settings, year: int, unit_code: str | None = None) -> AnnualReport:
    """The report for ``year`` (up to now, for the current year), for one unit when named."""
    units = await _units()
    unit = None
    if unit_code:
        unit = next((u for u in units if u["code"] == unit_code), None)
        if unit is None:
            raise Problem(404, f"unit: no unit with code {unit_code!r}",
                          errors=[{"field": "unit", "message": "unknown unit"}])
    start = datetime.datetime(year, 1, 1, tzinfo=TIMEZONE).astimezone(datetime.timezone.utc)
    year_end = datetime.datetime(year + 1, 1, 1, tzinfo=TIMEZONE).astimezone(datetime.timezone.utc)
    now = datetime.datetime.now(datetime.timezone.utc)
    end = min(year_end, now)
    snapshots = await (live_snapshots() if year_end > now else snapshots_as_of(end))
    code = unit["code"] if unit else None

    subjects = await execute("SELECT code, name_nb, level_from, level_to FROM subject ORDER BY sort_order")
    areas = await execute("SELECT code, name_nb FROM kindergarten_area ORDER BY sort_order")
    unit_levels = set(unit["levels"]) if unit else None
    bands = [b for b in SCHOOL_BANDS if unit_levels is None or unit_levels & set(BANDS[b])]
    base_rows, gaps = _base_package(snapshots, subjects, bands, code)
    kindergarten = _kindergarten(snapshots, areas, code) if unit_levels is None or "barnehage" in unit_levels else []

    in_use = {i: s for i, s in snapshots.items() if s.get("status") in IN_USE and (code is None or _available(s, code))}
    privacy = _privacy(list(in_use.values()))
    active_units = [u for u in units if u["active"] and u["kind"] in ("barnehage", "skole")]
    costs = _costs({i: s for i, s in snapshots.items() if s.get("status") in IN_USE}, active_units, code)

    cases = await execute("SELECT id, kind, resource, title, proposer_units, created_at, closed_at, outcome"
                          " FROM workflow_case WHERE created_at < {} ORDER BY id", end)
    if code is not None:
        cases = [c for c in cases if code in _json(c["proposer_units"], [])
                 or code in ((snapshots.get(c["resource"]) or {}).get("units") or [])]
    events = await execute("SELECT e.\"case\" AS case_id, e.occurred_at, e.action, e.from_state, e.to_state, e.reason"
                           " FROM case_event e WHERE e.occurred_at < {} ORDER BY e.occurred_at, e.id", end)
    by_case: dict[int, list[dict]] = {}
    for e in events:
        by_case.setdefault(e["case_id"], []).append(e)

    due = settings.step_due_days
    counts: dict[str, CaseCounts] = {kind: CaseCounts(kind=kind, opened=0, decided=0, outcomes={})
                                     for kind in WORKFLOWS}
    exits_in_year: list[_Exit] = []
    revisions = Revisions(opened=0, completed=0, on_time=0, late=0, overdue=0)
    notes: list[DecisionNote] = []
    for case in cases:
        created = as_utc(case["created_at"])
        closed = as_utc(case["closed_at"]) if case["closed_at"] is not None else None
        closed_in_period = closed is not None and start <= closed < end
        tally = counts[case["kind"]]
        if start <= created < end:
            tally.opened += 1
        if closed_in_period:
            tally.decided += 1
            tally.outcomes[case["outcome"] or "closed"] = tally.outcomes.get(case["outcome"] or "closed", 0) + 1
        case_events = by_case.get(case["id"], [])
        exits, (state, entered) = _walk(case["kind"], case_events)
        exits_in_year += [x for x in exits if start <= x.left < end]
        if case["kind"] == "revision":
            if start <= created < end:
                revisions.opened += 1
            if closed_in_period:
                revisions.completed += 1
                if all(x.days <= due for x in exits):
                    revisions.on_time += 1
                else:
                    revisions.late += 1
            elif (closed is None or closed >= end) and state and _is_review("revision", state) and entered \
                    and (_local_day(end - datetime.timedelta(microseconds=1)) - _local_day(entered)).days > due:
                revisions.overdue += 1
        for e in case_events:
            when = as_utc(e["occurred_at"])
            if not (start <= when < end) or e["from_state"] is None or e["to_state"] is None:
                continue
            decision = _decision_of(case["kind"], e["from_state"], e["action"])
            if decision in ("reject", "return"):
                notes.append(DecisionNote(date=_local_day(when), case_id=case["id"], title=case["title"],
                                          kind=case["kind"], step=e["from_state"], decision=decision,
                                          action=e["action"], reason=e["reason"] or ""))

    step_timing = []
    for kind, workflow in WORKFLOWS.items():
        for state in workflow.states:
            if not _is_review(kind, state):
                continue
            days = [x.days for x in exits_in_year if x.kind == kind and x.state == state]
            median, p90 = percentile_summary(days)
            step_timing.append(Timing(key=state, kind=kind, count=len(days), median_days=median, p90_days=p90))
    decision_timing = []
    for decision in sorted({x.decision for x in exits_in_year}):
        days = [x.days for x in exits_in_year if x.decision == decision]
        median, p90 = percentile_summary(days)
        decision_timing.append(Timing(key=decision, kind=None, count=len(days), median_days=median, p90_days=p90))
    grouped: dict[tuple[str, str, str], int] = {}
    for note in notes:
        grouped[(note.kind, note.step, note.decision)] = grouped.get((note.kind, note.step, note.decision), 0) + 1
    case_list = [c for c in counts.values()]
    has_data = bool(in_use) or any(c.opened or c.decided for c in case_list) or bool(exits_in_year)
    equipment = None if unit else await annual_figures(year)
    has_data = has_data or bool(equipment and (equipment.devices_held or equipment.standard_changes_approved))
    return AnnualReport(
        year=year, unit=Named(code=unit["code"], name=unit["name"]) if unit else None,
        period_start=datetime.date(year, 1, 1), period_end=_local_day(end - datetime.timedelta(microseconds=1)),
        has_data=has_data, step_due_days=due,
        subjects=[Named(code=s["code"], name=s["name_nb"]) for s in subjects], bands=bands,
        base_package=base_rows, base_package_gaps=gaps, kindergarten=kindergarten, privacy=privacy,
        revisions=revisions, cases=case_list, step_timing=step_timing, decision_timing=decision_timing,
        decisions=sorted(notes, key=lambda n: (n.date, n.case_id)),
        decision_counts=[DecisionCount(kind=k, step=s, decision=d, count=n) for (k, s, d), n in sorted(grouped.items())],
        costs=costs, participation=await _participation(start, end, code),
        equipment=equipment,
    )


async def _participation(start: datetime.datetime, end: datetime.datetime, unit_code: str | None) -> Participation:
    from catalogue.search.sql import execute
    from workflows.consultations import figures

    args: list[Any] = [start, end]
    scope = ""
    if unit_code:
        scope = (" AND t.author IN (SELECT uu.\"user\" FROM user_unit uu JOIN unit ON unit.id = uu.unit"
                 " WHERE unit.code = {})")
        args.append(unit_code)
    rows = await execute("SELECT COUNT(*) AS n, COUNT(DISTINCT t.author) AS people FROM resource_tip t"
                         " WHERE t.created_at >= {} AND t.created_at < {}" + scope, *args)
    held = await figures(start, end, unit_code)
    return Participation(tips=int(rows[0]["n"]), tip_authors=int(rows[0]["people"]), **held)
