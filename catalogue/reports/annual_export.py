"""The annual report as tables with Norwegian headings: the sheets of its XLSX file and, in long
form (section; row; column; value), its CSV. Each export is recorded in the audit log."""

from __future__ import annotations

import hashlib
from typing import Any

import msgspec

from catalogue.db import write_transaction
from catalogue.gc_pause import paused_gc
from catalogue.problems import Problem, field_error
from catalogue.reports.annual import AnnualReport, build_report
from catalogue.spreadsheets import CSV_TYPE, XLSX_TYPE, Column, SheetData as Sheet, csv_bytes, xlsx_bytes
from catalogue.security.access import Principal
from catalogue.settings import Settings
from workflows import audit
from workflows.definitions import WORKFLOWS
from equipment.domain import FUNDING
from equipment.schemas import AnnualFigures

BAND_LABELS = {"1-4": "1.–4. trinn", "5-7": "5.–7. trinn", "8-10": "8.–10. trinn"}
DECISION_LABELS = {"approve": "Godkjent", "approve_with_restrictions": "Godkjent med begrensninger",
                   "return": "Sendt tilbake", "reject": "Avslått / faset ut", "withdraw": "Trukket"}
KIND_LABELS = {kind: workflow.label_nb for kind, workflow in WORKFLOWS.items()}
OUTCOME_LABELS = {state.outcome: state.label_nb for workflow in WORKFLOWS.values()
                  for state in workflow.states.values() if state.outcome}
OUTCOMES = list(dict.fromkeys(OUTCOME_LABELS))
FORMATS = {"json": "application/json", "csv": CSV_TYPE, "xlsx": XLSX_TYPE}


def step_label(kind: str, state: str) -> str:
    step = WORKFLOWS[kind].states.get(state)
    return step.label_nb if step else state


def action_label(kind: str, state: str, action: str) -> str:
    workflow = WORKFLOWS[kind]
    step = workflow.states.get(state)
    found = (step.actions.get(action) if step else None) or workflow.proposer_actions.get(action)
    return found.label_nb if found else action


def _days(value: float | None) -> Any:
    return "" if value is None else value


def report_sheets(report: AnnualReport) -> list[Sheet]:
    """The report's tables, in the order of the page."""
    subjects = {s.code: s.name for s in report.subjects}
    base_columns = [Column("Trinn", 16), Column("Læremidler i alt", 12),
                    *[Column(s.name, 12) for s in report.subjects], Column("Fag uten læremiddel (mangler)", 40)]
    base_rows = [[BAND_LABELS[row.band], row.total, *[("–" if not c.applicable else c.count) for c in row.cells],
                  ", ".join(subjects[c.subject] for c in row.cells if c.gap)] for row in report.base_package]
    p, r, c = report.privacy, report.revisions, report.costs
    sheets = [
        Sheet("Grunnpakken", base_columns, base_rows),
        Sheet("Barnehage", [Column("Fagområde", 40), Column("Læremidler", 12), Column("Mangler", 10)],
              [[a.name, a.count, "ja" if a.gap else "nei"] for a in report.kindergarten]),
        Sheet("Personvern", [Column("Mål", 60), Column("Antall", 10), Column("Andel", 10)], [
            ["Læremidler i bruk", p.in_use, ""],
            ["Behandler personopplysninger", p.processing, ""],
            ["Ikke vurdert om de behandler personopplysninger", p.not_assessed, ""],
            ["Med inngått databehandleravtale", p.with_dpa, "" if p.dpa_share is None else p.dpa_share],
            ["Med gjennomført DPIA", p.with_dpia, "" if p.dpia_share is None else p.dpia_share],
            ["DPIA ikke nødvendig", p.dpia_not_required, ""],
        ]),
        Sheet("Revisjoner", [Column("Mål", 60), Column("Antall", 10)], [
            ["Revisjoner åpnet", r.opened], ["Revisjoner fullført", r.completed],
            [f"Fullført i tide (hvert steg innen {report.step_due_days} dager)", r.on_time],
            ["Fullført for sent", r.late], ["Forfalt ved periodens slutt", r.overdue],
        ]),
        Sheet("Saker", [Column("Sakstype", 30), Column("Åpnet", 10), Column("Avgjort", 10),
                        *[Column(OUTCOME_LABELS[o], 14) for o in OUTCOMES]],
              [[KIND_LABELS[k.kind], k.opened, k.decided, *[k.outcomes.get(o, 0) for o in OUTCOMES]]
               for k in report.cases]),
        Sheet("Behandlingstid", [Column("Gruppert etter", 14), Column("Sakstype", 30), Column("Steg eller beslutning", 40),
                                 Column("Antall", 10), Column("Median (dager)", 14), Column("90-persentil (dager)", 16)],
              [["steg", KIND_LABELS[t.kind], step_label(t.kind, t.key), t.count, _days(t.median_days),
                _days(t.p90_days)] for t in report.step_timing]
              + [["beslutning", "", DECISION_LABELS.get(t.key, t.key), t.count, _days(t.median_days), _days(t.p90_days)]
                 for t in report.decision_timing]),
        Sheet("Avslag og retur", [Column("Dato", 12), Column("Sak", 8), Column("Læremiddel", 30), Column("Sakstype", 24),
                                  Column("Steg", 28), Column("Beslutning", 24), Column("Begrunnelse", 60)],
              [[n.date, n.case_id, n.title, KIND_LABELS[n.kind], step_label(n.kind, n.step),
                action_label(n.kind, n.step, n.action), n.reason] for n in report.decisions]),
        Sheet("Lisenskostnader", [Column("Enhet", 30), Column("Barn/elever", 12), Column("Egne læremidler (kr)", 16),
                                  Column("Andel av grunnpakken (kr)", 18), Column("Totalt (kr)", 14),
                                  Column("Per barn/elev (kr)", 14)],
              [[row.name, "" if row.pupils is None else row.pupils, row.own_cost,
                "" if row.base_share is None else row.base_share, "" if row.total is None else row.total,
                "" if row.per_pupil is None else row.per_pupil] for row in c.rows]
              + [["Grunnpakken i alt", c.total_pupils, "", c.base_total, c.base_total,
                  "" if c.base_per_pupil is None else c.base_per_pupil]]),
    ]
    t = report.participation
    sheets.append(Sheet("Medvirkning", [Column("Mål", 60), Column("Antall", 12)], [
        ["Tips delt", t.tips], ["Ansatte som har delt tips", t.tip_authors], ["Høringer", t.consultations],
        ["Inviterte", t.invited], ["Svar", t.answered],
        ["Svarandel", "" if t.response_rate is None else t.response_rate],
    ]))
    if report.equipment is not None:
        sheets.append(equipment_sheet(report.equipment))
    return sheets


def equipment_sheet(e: AnnualFigures) -> Sheet:
    """The equipment package's figures of the year, one line each."""
    funding = [[f"… finansiert av {label[0].lower() + label[1:]}", e.acquired_by_funding.get(code, 0),
                e.acquired_cost_nok_by_funding.get(code, 0)] for code, label in FUNDING.items()]
    return Sheet("Utstyr", [Column("Mål", 60), Column("Antall", 12), Column("Kroner", 14)], [
        ["Barnehager, skoler og tjenester", e.units, ""],
        ["… av dem med tall for barn, elever, avdelinger eller rom", e.units_counted, ""],
        [f"Utstyr registrert per {e.as_of.strftime('%d.%m.%Y')} (stykk)", e.devices_held, ""],
        [f"Utstyr anskaffet i {e.year}", e.devices_acquired, sum(e.acquired_cost_nok_by_funding.values())],
        *funding,
        ["Mangler mot standarden", e.gap, e.gap_cost_nok],
        [f"Planlagt kostnad {e.as_of.year + 1}", "", e.planned_cost_nok_next_year],
        ["Elever", e.pupils, ""], ["Elevenheter innenfor levetiden", e.pupil_devices, ""],
        ["Elevenheter per elev", "" if e.pupil_coverage is None else e.pupil_coverage, ""],
        ["Skoler", e.schools, ""], ["Skoler der hver elev har sin egen enhet", e.schools_one_to_one, ""],
        [f"Endringer i utstyrsstandarden vedtatt i {e.year}", e.standard_changes_approved, ""],
    ])


def about_sheet(report: AnnualReport) -> Sheet:
    return Sheet("Om rapporten", [Column("Opplysning", 40), Column("Verdi", 80)], [
        ["Kvalitetsmelding for", report.year],
        ["Enhet", report.unit.name if report.unit else "Hele kommunen"],
        ["Periode", f"{report.period_start.isoformat()} – {report.period_end.isoformat()}"],
        ["Grunnpakken og personvern", "Slik læremidlene sto ved periodens slutt"],
        ["Fristen for et steg", f"{report.step_due_days} dager"],
        ["Lisenskostnad", "Årlig kostnad for læremidler i bruk; læremidler for utvalgte enheter deles likt "
                          "mellom enhetene, grunnpakken fordeles etter antall barn og elever"],
        ["Læremidler uten oppgitt kostnad", report.costs.unknown_cost_resources],
    ])


def report_xlsx(report: AnnualReport) -> bytes:
    return xlsx_bytes([about_sheet(report), *report_sheets(report)])


def report_csv(report: AnnualReport) -> bytes:
    """Every cell of every table as one line: section; row; column; value."""
    rows = []
    for sheet in report_sheets(report):
        titles = [c.title for c in sheet.columns]
        for row in sheet.rows:
            for title, value in zip(titles[1:], row[1:]):
                rows.append([sheet.title, row[0], title, value])
    return csv_bytes(["seksjon", "rad", "kolonne", "verdi"], rows)


async def export_report(settings: Settings, year: int, unit: str | None, fmt: str,
                        actor: Principal) -> tuple[bytes, str, str]:
    """The report as one file, recorded in the audit log before it is handed out."""
    if fmt not in FORMATS:
        raise field_error("format", "must be one of json, csv, xlsx")
    report = await build_report(settings, year, unit)
    if not report.has_data:
        raise Problem(404, f"year: no resources in use, no cases and no equipment in {year}",
                      errors=[{"field": "year", "message": "no data for this year"}])
    with paused_gc():
        if fmt == "json":
            content = msgspec.json.encode(report)
        else:
            content = report_xlsx(report) if fmt == "xlsx" else report_csv(report)
    async with write_transaction():
        await audit.append("annual_report.export", "annual_report", f"{year}:{unit or 'all'}", {
            "format": fmt, "year": year, "unit": unit, "bytes": len(content),
            "sha256": hashlib.sha256(content).hexdigest()}, actor=actor.label, actor_user_id=actor.user_id)
    suffix = f"-{unit}" if unit else ""
    return content, FORMATS[fmt], f"kvalitetsmelding-{year}{suffix}.{fmt}"
