"""Counts an inbox processor's claim transactions, to show that a hand-over needed none."""

from __future__ import annotations

from dataclasses import dataclass

from bot.messaging.inbox import InboxProcessor
from models import InboxUpdate


@dataclass
class ClaimCounter:
    claims: int = 0


def count_claims(processor: InboxProcessor) -> ClaimCounter:
    """Wrap `processor`'s claim so that each one is counted; returns the counter."""
    counter = ClaimCounter()
    real_claim = processor._claim_heads

    async def counting(limit: int) -> list[tuple[InboxUpdate, bool]]:
        counter.claims += 1
        return await real_claim(limit)

    processor._claim_heads = counting  # type: ignore[method-assign]
    return counter
