"""What a stored report state must look like, and what a case needs from the draft."""

from __future__ import annotations

from typing import Any

from handlers.base import ConversationState
from handlers.report.labels import (
    AGE_GROUPS,
    CATEGORIES,
    CONTACT,
    DANGER,
    FLOW,
    MAX_DESCRIPTION,
    MAX_EVIDENCE,
    PLACES,
    RELATIONS,
    REPORTER_ROLES,
    SEXES,
    STEPS,
    WHEN,
)

# Single-choice steps: the stored value must be one of these.
CHOICES: dict[str, dict[str, str]] = {
    "danger": DANGER,
    "age": AGE_GROUPS,
    "sex": SEXES,
    "when": WHEN,
    "place": PLACES,
    "rel": RELATIONS,
    "role": REPORTER_ROLES,
    "contact": CONTACT,
}


def missing_for_submit(data: dict[str, Any]) -> str | None:
    """The first step whose answer a case needs and the draft lacks."""
    if not data.get("cat"):
        return "cat"
    if data.get("age") not in AGE_GROUPS:
        return "age"
    if data.get("sex") not in SEXES:
        return "sex"
    if not data.get("kec"):
        return "kec"
    if not data.get("kel"):
        return "kel"
    return None


def state_problems(state: ConversationState) -> list[str]:
    """Why a stored report state is not valid (empty when it is); the property test's check."""
    if state.flow != FLOW:
        return []
    data = state.data
    problems = []
    if state.step not in (*STEPS, "edit"):
        problems.append(f"unknown step {state.step}")
    if not data.get("key") or not data.get("pin"):
        problems.append("no submission key or PIN")
    for step, table in CHOICES.items():
        if step == "danger":
            continue
        if data.get(step) is not None and data[step] not in table:
            problems.append(f"{step} has an unknown value")
    if any(c not in CATEGORIES for c in data.get("cat") or []):
        problems.append("unknown category")
    if len(str(data.get("desc") or "")) > MAX_DESCRIPTION:
        problems.append("description too long")
    if len(data.get("evidence") or []) > MAX_EVIDENCE:
        problems.append("too much evidence")
    if state.step == "kel" and not data.get("kec"):
        problems.append("kelurahan asked before the kecamatan")
    if state.step == "summary" and missing_for_submit(data) is not None:
        problems.append("summary shown with an answer missing")
    return problems
