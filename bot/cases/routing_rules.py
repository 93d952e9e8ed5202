"""The routing rules as pure functions over staff records, for one case or a whole batch.

`bot.cases.routing` gathers the data for one case from the database; the escalation sweep gathers it
once for a batch (`bot.escalation.batch`). Both choose through these functions, so the order
(backup, other cadres, coordinator, Dinas) and the load balancing live in one place.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Protocol, TypeVar


class StaffLike(Protocol):
    """What routing needs to know of a staff member (a `models.Staff` or a batch's record)."""

    @property
    def id(self) -> int: ...
    @property
    def active(self) -> bool: ...
    @property
    def on_duty(self) -> bool: ...
    @property
    def backup_id(self) -> int | None: ...
    @property
    def last_assigned_at(self) -> datetime | None: ...


S = TypeVar("S", bound=StaffLike)


def rank_key(
    kader: StaffLike, counts: Mapping[int, int], reachable: set[int]
) -> tuple[bool, int, bool, datetime, int]:
    """Reachable first, then fewest open cases, then least recently assigned, then id."""
    last = kader.last_assigned_at
    return (
        kader.id not in reachable,
        counts.get(kader.id, 0),
        last is not None,
        last.replace(tzinfo=None) if last is not None else datetime.min,
        kader.id,
    )


def rank(kaders: Iterable[S], counts: Mapping[int, int], reachable: set[int]) -> list[S]:
    return sorted(kaders, key=lambda k: rank_key(k, counts, reachable))


def choose_next(
    *,
    assignee_id: int | None,
    current: S | None,
    backup: S | None,
    tried: set[int],
    kaders_on_duty: Sequence[S],
    coordinators: Sequence[S],
    dinas: Sequence[S],
    counts: Mapping[int, int],
    reachable: set[int],
) -> tuple[S, str] | None:
    """After the current assignee: backup, another cadre, coordinator, Dinas (with its reason).

    `current` is the assignee's record, `backup` the record of its `backup_id` (either None
    when unknown); `coordinators` and `dinas` are the active ones in their usual order.
    """
    backup_untried = current is not None and current.backup_id not in (None, *tried)
    if backup_untried and backup is not None and backup.active and backup.on_duty:
        return backup, "backup"
    ranked = rank((k for k in kaders_on_duty if k.id not in tried), counts, reachable)
    if ranked:
        return ranked[0], "next_kader"
    for staff in coordinators:
        if staff.id not in tried:
            return staff, "coordinator"
    # The Dinas is the last resort, even when it already had the case once.
    fresh = [s for s in dinas if s.id not in tried]
    if fresh:
        return fresh[0], "dinas"
    if dinas and assignee_id not in {s.id for s in dinas}:
        return dinas[0], "dinas"
    return None


def choose_coordinator(
    *, assignee_id: int | None, coordinators: Sequence[S], dinas: Sequence[S]
) -> tuple[S, str] | None:
    """Skip the remaining cadres: the kecamatan coordinator, else the Dinas."""
    for staff in coordinators:
        if staff.id != assignee_id:
            return staff, "coordinator"
    for staff in dinas:
        if staff.id != assignee_id:
            return staff, "dinas"
    return None


def assignment_data(
    staff_id: int, role: str, reason: str, trigger: str | None, previous_staff_id: int | None
) -> dict[str, object]:
    """The data of an assignment event, the same whether one case or a batch is routed."""
    data: dict[str, object] = {"staff_id": staff_id, "role": role, "reason": reason}
    if trigger:
        data["trigger"] = trigger
    if previous_staff_id is not None:
        data["previous_staff_id"] = previous_staff_id
    return data


def assignment_key(case_id: int, staff_id: int, version: int) -> str:
    """The dedupe key of an assignment message: once per case, person and case version."""
    return f"assign:{case_id}:{staff_id}:v{version}"
