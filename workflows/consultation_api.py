"""/api/v1/consultations: the invited answer a consultation; the sector office reads the summary.
A consultation is started and closed as actions of its case (``start_consultation``,
``close_consultation`` at /api/v1/cases/{id}/actions)."""

from __future__ import annotations

from litestar import Request, get, put
from litestar.params import FromPath, JSONBody

from catalogue.security.access import SIGNED_IN, rule
from workflows import consultations
from workflows.service import today


@get("/api/v1/consultations", opt=rule(SIGNED_IN), tags=["consultations"],
     summary="The consultations I am invited to (my tasks), open ones first")
async def my_consultations(request: Request) -> list[consultations.MyConsultation]:
    return await consultations.mine(request.user, today())


@get("/api/v1/consultations/{consultation_id:int}", opt=rule(SIGNED_IN), tags=["consultations"],
     summary="A consultation: for the invited, the resource and their answer; for insiders, also the summary")
async def get_consultation(request: Request, consultation_id: FromPath[int]) -> consultations.ConsultationOut:
    return await consultations.get_consultation(consultation_id, request.user, today())


@put("/api/v1/consultations/{consultation_id:int}/answer", opt=rule(SIGNED_IN), tags=["consultations"],
     summary="Answer (or change the answer) while the consultation is open: a rating 1–5 per criterion and a comment")
async def answer_consultation(request: Request, consultation_id: FromPath[int],
                              data: JSONBody[consultations.AnswerRequest]) -> consultations.ConsultationOut:
    await consultations.answer(consultation_id, data, request.user, today())
    return await consultations.get_consultation(consultation_id, request.user, today())


consultation_api_handlers = [my_consultations, get_consultation, answer_consultation]
