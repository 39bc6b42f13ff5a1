"""The workflows, as data. One engine (workflows.engine) reads these tables; adding a step to a
workflow is an edit here, not of the engine.

Each workflow is a set of states. A state names who acts there (a role, or the case's proposer),
which form (structured data) the step captures, and its actions: each action leads to another
state and may require a reason or restrictions text. A state with no actions ends the case.

Special targets:
- ``RETURN_TO_SENDER``: back to the state the case came from by an action that ``remembers_origin``
  (resubmission after a return; the DPO's advice back to the privacy review that asked for it).
- an ``effect`` names what happens to the resource when the action is taken (see workflows.effects).
"""

from __future__ import annotations

from dataclasses import dataclass, field

PROPOSER = "proposer"  # not a role: the person who proposed the case
RETURN_TO_SENDER = "<returned_from>"


@dataclass(frozen=True)
class Action:
    target: str
    label_nb: str
    needs_reason: bool = True
    needs_restrictions: bool = False
    # a review step's form must be complete and valid before this action (approvals)
    validates_form: bool = False
    effect: str | None = None
    # a decision (approve, reject, …) as DESIGN names them, recorded on the event
    decision: str | None = None
    # checklist items that must all be confirmed first
    requires_checklist: bool = False
    # what the reason field asks for, when it is not the reason for a decision
    reason_label_nb: str | None = None
    # the case remembers the state it left, so RETURN_TO_SENDER can lead back there
    remembers_origin: bool = False
    # the decision may also lift or change the restrictions in force, each with a reason
    changes_restrictions: bool = False
    # the decision names a date: the last day the resource is in use (a phase-out)
    needs_end_date: bool = False
    # the DPO's formal advice: "request" asks for it (the reason is the question), "give" answers
    advice: str | None = None
    # a consultation of staff (workflows.consultations): "open" sends the resource on consultation (the
    # request carries whom to ask and the deadline), "close" ends it and keeps the summary in the case
    consultation: str | None = None


@dataclass(frozen=True)
class State:
    label_nb: str
    actor: str | None = None  # a role code, PROPOSER, or None for a final state
    form: str | None = None
    actions: dict[str, Action] = field(default_factory=dict)
    # phase-out checklist: item → the role that confirms it
    checklist: dict[str, str] = field(default_factory=dict)
    outcome: str | None = None  # set on the case when it ends here
    # which due date the step gets: "step" (STEP_DUE_DAYS), "return" (RETURN_DUE_DAYS) or none
    due: str | None = "step"

    @property
    def is_final(self) -> bool:
        return not self.actions


@dataclass(frozen=True)
class Workflow:
    kind: str
    label_nb: str
    initial: str
    states: dict[str, State]
    # actions the proposer may take in any state that is not final (withdrawal)
    proposer_actions: dict[str, Action] = field(default_factory=dict)


# The privacy reviewer asks the DPO for formal advice; the case waits in DPO_ADVICE until the DPO
# answers, then goes back to the step that asked.
REQUEST_DPO_ADVICE = Action("dpo_advice", "Be personvernombudet om råd", remembers_origin=True, advice="request",
                            reason_label_nb="Hva ønsker du råd om?")
DPO_ADVICE = State("Råd fra personvernombudet", actor="dpo", actions={
    "give_advice": Action(RETURN_TO_SENDER, "Gi råd", advice="give", reason_label_nb="Rådet ditt"),
})


# The sector office asks staff of chosen units to try the resource and answer by a deadline; the case
# waits in CONSULTATION until the reviewer closes it or the deadline passes (the scheduler closes it
# then), and goes back to the pedagogical review with the answers summarised.
START_CONSULTATION = Action("consultation", "Send på høring til ansatte", needs_reason=False, remembers_origin=True,
                            consultation="open")
CONSULTATION = State("Høring blant ansatte", actor="sector_reviewer", due=None, actions={
    "close_consultation": Action(RETURN_TO_SENDER, "Avslutt høringen", needs_reason=False, consultation="close"),
})


def _review(label: str, role: str, form: str, approve_to: str, approve_effect: str | None = None,
            extra: dict[str, Action] | None = None) -> State:
    """A review step of a proposal: approve (with or without restrictions), return, reject."""
    return State(
        label_nb=label,
        actor=role,
        form=form,
        actions={
            "approve": Action(approve_to, "Godkjenn", validates_form=True, effect=approve_effect, decision="approve"),
            "approve_with_restrictions": Action(approve_to, "Godkjenn med begrensninger", needs_restrictions=True,
                                                validates_form=True, effect=approve_effect,
                                                decision="approve_with_restrictions"),
            "return": Action("returned", "Send tilbake til forslagsstilleren", decision="return", remembers_origin=True),
            "reject": Action("rejected", "Avslå", effect="reject_resource", decision="reject"),
            **(extra or {}),
        },
    )



PROPOSAL = Workflow(
    kind="proposal",
    label_nb="Forslag om nytt læremiddel",
    initial="draft",
    states={
        "draft": State("Utkast", actor=PROPOSER, due=None, actions={
            "submit": Action("pedagogical_review", "Send inn", needs_reason=False, effect="submit_resource"),
        }),
        "pedagogical_review": _review("Pedagogisk vurdering", "sector_reviewer", "pedagogical", "privacy_review",
                                      extra={"start_consultation": START_CONSULTATION}),
        "consultation": CONSULTATION,
        "privacy_review": _review("Personvernvurdering", "privacy_reviewer", "privacy", "procurement",
                                  extra={"request_dpo_advice": REQUEST_DPO_ADVICE}),
        "dpo_advice": DPO_ADVICE,
        "procurement": _review("Innkjøp og teknisk vurdering", "tech_approver", "procurement", "approved",
                               approve_effect="publish"),
        "returned": State("Sendt tilbake til forslagsstilleren", actor=PROPOSER, due="return", actions={
            "resubmit": Action(RETURN_TO_SENDER, "Send inn på nytt", needs_reason=False),
        }),
        "approved": State("Godkjent og publisert", outcome="approved"),
        "rejected": State("Avslått", outcome="rejected"),
        "withdrawn": State("Trukket", outcome="withdrawn"),
    },
    proposer_actions={"withdraw": Action("withdrawn", "Trekk forslaget", effect="withdraw_resource")},
)

REVISION = Workflow(
    kind="revision",
    label_nb="Revisjon av læremiddel i bruk",
    initial="privacy_review",
    states={
        "privacy_review": State("Personvernvurdering (revisjon)", actor="privacy_reviewer", form="privacy", actions={
            "approve": Action("pedagogical_review", "Personvernet er i orden", validates_form=True,
                              decision="approve"),
            "approve_with_restrictions": Action("pedagogical_review", "I orden med begrensninger",
                                                needs_restrictions=True, validates_form=True,
                                                decision="approve_with_restrictions"),
            "phase_out": Action("phasing_out_decided", "Anbefal utfasing", effect="start_phase_out",
                                decision="reject", needs_end_date=True),
            "request_dpo_advice": REQUEST_DPO_ADVICE,
        }),
        "dpo_advice": DPO_ADVICE,
        "pedagogical_review": State("Pedagogisk vurdering (revisjon)", actor="sector_reviewer", form="pedagogical",
                                    actions={
            "renew": Action("renewed", "Forny", validates_form=True, effect="renew", decision="approve",
                            changes_restrictions=True),
            "renew_with_restrictions": Action("renewed", "Forny med begrensninger", needs_restrictions=True,
                                              validates_form=True, effect="renew",
                                              decision="approve_with_restrictions", changes_restrictions=True),
            "back_to_privacy": Action("privacy_review", "Send tilbake til personvernvurdering", decision="return"),
            "phase_out": Action("phasing_out_decided", "Fase ut", effect="start_phase_out", decision="reject",
                                needs_end_date=True),
            "start_consultation": START_CONSULTATION,
        }),
        "consultation": CONSULTATION,
        "renewed": State("Fornyet", outcome="renewed"),
        "phasing_out_decided": State("Utfasing besluttet", outcome="phase_out"),
    },
)

PHASE_OUT = Workflow(
    kind="phase_out",
    label_nb="Utfasing av læremiddel",
    initial="phasing_out",
    states={
        "phasing_out": State(
            "Utfasing pågår",
            actor="sector_reviewer",
            checklist={
                "vendor_data_deleted": "privacy_reviewer",
                "feide_access_removed": "tech_approver",
                "licence_ended": "tech_approver",
            },
            actions={
                "complete": Action("phased_out", "Avslutt utfasingen", needs_reason=False, requires_checklist=True,
                                   effect="phase_out_resource", decision="approve"),
            },
        ),
        "phased_out": State("Faset ut", outcome="phased_out"),
    },
)

WORKFLOWS: dict[str, Workflow] = {w.kind: w for w in (PROPOSAL, REVISION, PHASE_OUT)}

CHECKLIST_LABELS = {
    "vendor_data_deleted": "Leverandøren har bekreftet sletting av data",
    "feide_access_removed": "Tilgangen i Feide er fjernet",
    "licence_ended": "Lisensen er avsluttet",
}

# Comments and checklist confirmations are not state changes; these roles may comment on any
# case they can see (the DPO advises, but decides nothing).
COMMENTERS = frozenset({"sector_reviewer", "privacy_reviewer", "tech_approver", "dpo", "admin"})

# A change of the equipment standard (equipment.standards keeps these cases): the sector office
# proposes, the technology department reviews and approves. Approval makes the proposed lines the
# unit type's standard from the change's date on; open changes based on the standard it replaces
# end as ``superseded`` (they would otherwise overwrite it unseen).
STANDARD_CHANGE = Workflow(
    kind="standard_change",
    label_nb="Endring av utstyrsstandarden",
    initial="draft",
    states={
        "draft": State("Utkast", actor=PROPOSER, actions={
            "submit": Action("technical_review", "Send til teknologi og endring", needs_reason=False),
        }),
        "technical_review": State("Vurdering hos teknologi og endring", actor="tech_approver", actions={
            "approve": Action("approved", "Godkjenn standarden", needs_reason=False, effect="adopt_standard",
                              decision="approve"),
            "return": Action("returned", "Send tilbake til sektorkontoret", decision="return"),
            "reject": Action("rejected", "Avslå", decision="reject"),
        }),
        "returned": State("Sendt tilbake til sektorkontoret", actor=PROPOSER, actions={
            "resubmit": Action(RETURN_TO_SENDER, "Send inn på nytt", needs_reason=False),
        }),
        "approved": State("Godkjent og gjeldende fra datoen", outcome="approved"),
        "rejected": State("Avslått", outcome="rejected"),
        "withdrawn": State("Trukket", outcome="withdrawn"),
        "superseded": State("Erstattet av en annen endring", outcome="superseded"),
    },
    proposer_actions={"withdraw": Action("withdrawn", "Trekk endringen")},
)
WORKFLOWS[STANDARD_CHANGE.kind] = STANDARD_CHANGE
