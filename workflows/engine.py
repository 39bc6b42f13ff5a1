"""The one engine that reads the workflow definitions: which actions a user may take on a case
now, and where each action leads. It knows nothing of particular workflows or steps."""

from __future__ import annotations

from dataclasses import dataclass

from catalogue.security.access import Principal
from workflows.definitions import PROPOSER, RETURN_TO_SENDER, WORKFLOWS, Action, State, Workflow


@dataclass(frozen=True)
class CaseView:
    """The parts of a case the engine needs."""

    kind: str
    state: str
    proposer_id: int | None
    returned_from: str | None
    checklist: dict[str, bool]


@dataclass(frozen=True)
class AvailableAction:
    name: str
    label_nb: str
    needs_reason: bool
    needs_restrictions: bool
    target: str
    reason_label_nb: str | None = None
    changes_restrictions: bool = False
    needs_end_date: bool = False


def workflow(kind: str) -> Workflow:
    return WORKFLOWS[kind]


def state_of(case: CaseView) -> State:
    return workflow(case.kind).states[case.state]


def is_actor(case: CaseView, principal: Principal, actor: str | None) -> bool:
    if actor is None:
        return False
    if actor == PROPOSER:
        return principal.user_id is not None and principal.user_id == case.proposer_id
    return actor in principal.roles


def _actions(case: CaseView) -> dict[str, tuple[Action, str | None]]:
    """Every action of the current state with the actor who may take it."""
    state = state_of(case)
    if state.is_final:
        return {}
    found = {name: (action, state.actor) for name, action in state.actions.items()}
    for name, action in workflow(case.kind).proposer_actions.items():
        found.setdefault(name, (action, PROPOSER))
    return found


def target_of(case: CaseView, action: Action) -> str:
    if action.target == RETURN_TO_SENDER:
        return case.returned_from or workflow(case.kind).initial
    return action.target


def available_actions(case: CaseView, principal: Principal) -> list[AvailableAction]:
    """The actions this user may take on the case in its current state."""
    result = []
    for name, (action, actor) in _actions(case).items():
        if not is_actor(case, principal, actor):
            continue
        if action.requires_checklist and not all(case.checklist.get(i) for i in state_of(case).checklist):
            continue
        result.append(AvailableAction(name, action.label_nb, action.needs_reason, action.needs_restrictions,
                                      target_of(case, action), action.reason_label_nb, action.changes_restrictions,
                                      action.needs_end_date))
    return result


class NotAllowed(Exception):
    """The action cannot be taken: ``status`` is 403 (wrong person or role) or 409 (wrong state)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def resolve(case: CaseView, principal: Principal, name: str) -> tuple[Action, str]:
    """The action and its target state, or NotAllowed saying why not."""
    actions = _actions(case)
    if name not in actions:
        raise NotAllowed(409, f"'{name}' is not possible while the case is in '{case.state}'.")
    action, actor = actions[name]
    if not is_actor(case, principal, actor):
        who = "the proposer" if actor == PROPOSER else f"the role {actor}"
        raise NotAllowed(403, f"Only {who} may take '{name}' now.")
    if action.requires_checklist:
        missing = [i for i in state_of(case).checklist if not case.checklist.get(i)]
        if missing:
            raise NotAllowed(409, f"Confirm first: {', '.join(missing)}.")
    return action, target_of(case, action)


def confirmable_items(case: CaseView, principal: Principal) -> list[str]:
    """Checklist items of the current state this user may confirm and that are still open."""
    state = state_of(case)
    return [item for item, role in state.checklist.items() if role in principal.roles and not case.checklist.get(item)]
