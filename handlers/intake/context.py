"""What the intake's pure steps see besides the state: the report's Ctx plus the staff member's area."""

from __future__ import annotations

from dataclasses import dataclass, field

from handlers.intake.labels import PREFIX
from handlers.report.areas import Place
from handlers.report.context import Ctx


@dataclass
class IntakeCtx(Ctx):
    # The recorder's own kelurahan (a cadre's; None for a coordinator) and their kecamatan.
    own_kelurahan: str | None = None
    kecamatan: str | None = None
    coordinator: bool = False
    # A coordinator's choices for the chosen kelurahan: (staff id, label), suggested first.
    cadres: list[tuple[int, str]] = field(default_factory=list)

    def kelurahan_choices(self) -> list[Place]:
        if self.areas is None or self.kecamatan is None:
            return []
        return self.areas.kelurahan.get(self.kecamatan, [])


def option_id(step: str, value: str) -> str:
    return f"{PREFIX}:{step}:{value}"


def parse_option(option: str) -> tuple[str, str] | None:
    """'i:age:6-12' -> ('age', '6-12'); None for anything else."""
    parts = option.split(":", 2)
    if len(parts) != 3 or parts[0] != PREFIX:
        return None
    return parts[1], parts[2]
