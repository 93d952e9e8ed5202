"""What the outbox needs from a channel: a sender, and the errors a send can end in."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.messaging.messages import Reply


class SendError(Exception):
    """A send that did not go through."""


@dataclass
class RetryLater(SendError):
    """Temporary: rate limited (429 retry_after) or the platform is down (5xx, time-out)."""

    after_seconds: float | None = None
    reason: str = "temporary"


@dataclass
class PermanentFailure(SendError):
    """Will never succeed as it is: the user blocked the bot, the chat does not exist."""

    reason: str = "permanent"


@dataclass
class OutsideWindow(SendError):
    """WhatsApp's 24-hour window is closed for this chat: a template is needed."""

    reason: str = "outside_window"


class ChannelStartError(Exception):
    """A channel could not start (refused token, unreachable API); `patbm run` exits with the code."""

    def __init__(self, message: str, *, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass(frozen=True)
class SendResult:
    platform_message_id: str | None = None


class Sender(Protocol):
    channel: str

    async def send(self, chat_id: str, reply: Reply) -> SendResult:
        """Deliver one reply; raise RetryLater, PermanentFailure or OutsideWindow when it fails."""
        ...
