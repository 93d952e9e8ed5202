"""Reusable helpers for channel and end-to-end tests.

- `echo_dispatch`: a stand-in for `bot.runtime.dispatch.dispatch` (same signature) that answers
  "echo: <text or option>" through the outbox; for inbox/channel tests that are not about flows.
- `deliver_all(app, sender)`: sends every pending outbox row once (a test's minimal delivery).
- `PatbmProcess`: `patbm run` (`python -m bot.runtime.cli run`) as a real subprocess with a fresh
  environment: `proc = PatbmProcess(database_url, fake.api_url, fake.token, tmp_path)`,
  `proc.start()` (waits for `GET /healthz` == 200), `proc.kill()` (SIGKILL), `proc.terminate()`
  (SIGTERM, returns the exit code), `proc.url`, `proc.log()` (its stderr so far).
  `extra_env` adds settings (e.g. `PATBM_TELEGRAM_WEBHOOK_URL`, `PATBM_OUTBOX_LEASE_SECONDS`).
- `TelegramUser(fake, database_url, user_id)`: a person chatting with `patbm run` through the fake
  (`await user.text(..)`, `await user.press(..)`), each call waiting until handled and answered.
- `create_schema_sync(database_url)`: the schema for a file database a subprocess will use.
- `eventually` (tests/support/waiting.py): bounded short polling for a condition (DB state).
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.app import App
from bot.messaging.messages import Inbound, Reply
from bot.messaging.outbox import enqueue
from bot.messaging.sending import Sender
from models import ChatIdentity, InboxUpdate, OutboxMessage
from tests.conftest import TEST_KEY
from tests.fakes.telegram_api import FakeTelegram, free_port
from tests.support.waiting import eventually

ROOT = Path(__file__).resolve().parents[2]


async def _identity(session: AsyncSession, app: App, inbound: Inbound) -> ChatIdentity:
    identity = await session.scalar(
        select(ChatIdentity).where(
            ChatIdentity.channel == inbound.channel, ChatIdentity.external_id == inbound.user_id
        )
    )
    if identity is None:
        identity = ChatIdentity(
            channel=inbound.channel,
            external_id=inbound.user_id,
            chat_id=inbound.chat_id,
            created_at=app.clock.now(),
        )
        session.add(identity)
        await session.flush()
    return identity


async def echo_dispatch(
    app: App, session: AsyncSession, inbound: Inbound
) -> Sequence[OutboxMessage]:
    await _identity(session, app, inbound)
    said = inbound.text or inbound.option or (inbound.media.kind if inbound.media else "?")
    reply = Reply(text=f"echo: {said}", edit_message_id=inbound.prompt_message_id)
    return [
        enqueue(
            session,
            channel=inbound.channel,
            chat_id=inbound.chat_id,
            reply=reply,
            now=app.clock.now(),
        )
    ]


async def deliver_all(app: App, sender: Sender) -> int:
    """Send every pending outbox row of the sender's channel once, in id order."""
    async with app.db.transaction() as session:
        rows = list(
            (
                await session.scalars(
                    select(OutboxMessage)
                    .where(
                        OutboxMessage.status == "pending", OutboxMessage.channel == sender.channel
                    )
                    .order_by(OutboxMessage.id)
                )
            ).all()
        )
        for row in rows:
            result = await sender.send(row.chat_id, Reply.from_json(row.payload))
            row.status = "sent"
            row.platform_message_id = result.platform_message_id
            row.sent_at = app.clock.now()
    return len(rows)


def create_schema_sync(database_url: str) -> None:
    from tests.support import dbutil

    asyncio.run(dbutil.create_schema(database_url))


class PatbmProcess:
    def __init__(
        self,
        database_url: str,
        api_url: str,
        token: str,
        data_dir: Path,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.data_dir = data_dir
        self.env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(data_dir),
            # A shared font cache: matplotlib (the weekly chart) rebuilds it in every new HOME.
            "MPLCONFIGDIR": str(Path(tempfile.gettempdir()) / "patbm-tests-matplotlib"),
            "PYTHONPATH": str(ROOT),
            "PATBM_DATABASE_URL": database_url,
            "PATBM_TELEGRAM_TOKEN": token,
            "PATBM_TELEGRAM_API_URL": api_url,
            "PATBM_HTTP_HOST": "127.0.0.1",
            "PATBM_HTTP_PORT": str(self.port),
            "PATBM_ENCRYPTION_KEY": TEST_KEY,
            "PATBM_DATA_DIR": str(data_dir),
            "PATBM_AREA_CODE": "15.71",
            **(extra_env or {}),
        }
        self.proc: subprocess.Popen[bytes] | None = None
        self._log_path = data_dir / f"patbm-run-{self.port}.log"

    def start(self, within: float = 90.0) -> None:
        handle = self._log_path.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot.runtime.cli", "run"],
            cwd=self.data_dir,
            env=self.env,
            stdout=handle,
            stderr=handle,
        )
        handle.close()
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"patbm run exited {self.proc.returncode}:\n{self.log()}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise AssertionError(f"patbm run not ready in time:\n{self.log()}")

    def log(self) -> str:
        return self._log_path.read_text(errors="replace") if self._log_path.exists() else ""

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def terminate(self, within: float = 60.0) -> int:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(within)

    def ensure_stopped(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


class TelegramUser:
    """A Telegram user driving `patbm run` through the fake: types, presses buttons, waits.

    `await user.text("halo")`, `await user.press("fisik")` (a button of the newest message with
    a keyboard, by its id, the id's last part, or a label substring), `user.last_texts`. Each
    call waits until the update is handled and every reply it queued is sent.
    """

    def __init__(self, fake: FakeTelegram, database_url: str, user_id: int) -> None:
        self.fake = fake
        self.database_url = database_url
        self.user_id = user_id
        self.last_texts: list[str] = []

    async def _counts(self) -> tuple[int, int, int]:
        from bot.core.db import Database

        database = Database(self.database_url)
        try:
            async with database.transaction() as session:
                chat = str(self.user_id)
                total = await session.scalar(
                    select(func.count())
                    .select_from(OutboxMessage)
                    .where(OutboxMessage.chat_id == chat)
                )
                unsent = await session.scalar(
                    select(func.count())
                    .select_from(OutboxMessage)
                    .where(OutboxMessage.chat_id == chat, OutboxMessage.status != "sent")
                )
                pending = await session.scalar(
                    select(func.count())
                    .select_from(InboxUpdate)
                    .where(InboxUpdate.status == "pending", InboxUpdate.chat_key == f"tg:{chat}")
                )
                return int(total or 0), int(unsent or 0), int(pending or 0)
        finally:
            await database.dispose()

    async def _exchange(self, put: Callable[[], int], within: float = 30.0) -> list[str]:
        before, _, _ = await self._counts()
        put()
        seen: list[int] = []

        async def settled() -> bool:
            total, unsent, pending = await self._counts()
            seen[:] = [total]
            return pending == 0 and unsent == 0 and total > before

        await eventually(settled, within=within, what=f"reply to user {self.user_id}")
        self.last_texts = self.fake.texts(self.user_id)[-(seen[0] - before) :]
        return self.last_texts

    async def text(self, text: str) -> list[str]:
        return await self._exchange(lambda: self.fake.text_update(self.user_id, text))

    async def photo(self, file_id: str) -> list[str]:
        return await self._exchange(lambda: self.fake.photo_update(self.user_id, file_id))

    def keyboard_message(self) -> dict[str, Any]:
        with_keyboard = [
            m
            for m in self.fake.messages(self.user_id)
            if m.get("reply_markup", {}).get("inline_keyboard")
        ]
        assert with_keyboard, "no message with buttons"
        return max(with_keyboard, key=lambda m: int(m["message_id"]))

    def find(self, needle: str) -> str:
        message = self.keyboard_message()
        buttons = [b for row in message["reply_markup"]["inline_keyboard"] for b in row]
        exact = [
            b["callback_data"]
            for b in buttons
            if needle in (b["callback_data"], b["callback_data"].split(":", 2)[-1])
        ]
        hits = exact or [b["callback_data"] for b in buttons if needle in b["text"]]
        assert hits, f"no button {needle!r} in {[b['callback_data'] for b in buttons]}"
        return str(hits[0])

    async def press(self, needle: str) -> list[str]:
        data = self.find(needle)
        message_id = int(self.keyboard_message()["message_id"])
        return await self._exchange(
            lambda: self.fake.callback_update(self.user_id, data, message_id)
        )
