"""Who may open the dashboard, and what they see: checked from the database on every request.

Dinas officers and administrators see the whole kota/kabupaten; a kecamatan coordinator sees
their own kecamatan only. Cadres and residents never get in. A staff member whose role or area
changed after signing in sees what the new role allows on the next request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.crypto import KeyRing
from bot.reporting.dashboard.cookies import unsign
from bot.reporting.dashboard.tokens import live_session
from models import Staff, StaffRole

ALLOWED_ROLES = frozenset({StaffRole.DINAS, StaffRole.ADMIN, StaffRole.KOORDINATOR})


@dataclass(frozen=True)
class Viewer:
    staff: Staff
    session_token: str

    @property
    def kecamatan_code(self) -> str | None:
        """The one kecamatan a coordinator may see; None for the whole deployment."""
        return self.staff.area_code if self.staff.role == StaffRole.KOORDINATOR else None

    @property
    def language(self) -> str:
        return self.staff.language or "id"


@dataclass(frozen=True)
class Refused:
    reason: str  # a code for the access log: bad_cookie, no_session, role, ...
    staff_id: int | None = None
    language: str = "id"


def refusal_for(staff: Staff | None) -> str | None:
    """Why this person may not see the dashboard, or None when they may."""
    if staff is None:
        return "not_staff"
    if not staff.active:
        return "inactive"
    if staff.role not in ALLOWED_ROLES:
        return "role"
    return None


async def viewer_from_cookie(
    session: AsyncSession, keyring: KeyRing, cookie: str | None, now: datetime
) -> Viewer | Refused:
    if not cookie:
        return Refused("no_cookie")
    token = unsign(keyring, cookie)
    if token is None:
        return Refused("bad_cookie")
    row = await live_session(session, token, now)
    if row is None:
        return Refused("no_session")
    staff = await session.get(Staff, row.staff_id, populate_existing=True)
    reason = refusal_for(staff)
    if reason is not None or staff is None:
        return Refused(reason or "not_staff", row.staff_id, staff.language if staff else "id")
    return Viewer(staff, token)
