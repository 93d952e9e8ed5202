"""The world a journey runs in: `patbm run` as a subprocess, the fakes, the operator's CLI.

    world = World(database_url, tmp_path, telegram=fake_telegram)      # or whatsapp=fake_graph
    world.patbm("staff", "import", "staff.csv")                         # a CLI process, as ops do
    await world.start()                                                 # `patbm run`, /healthz
    await world.settled("tg:4301", "123")                               # update 123 handled,
                                                                        # its replies sent
    await world.kill(); await world.start()                             # kill -9, a new process

`settled` is how a person knows the bot has answered: the update is stored and handled, and no
message to that chat is due and unsent (a message scheduled for days later, a follow-up, is not
waited for). It polls the database of the running bot; it never measures time.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from bot.core.db import Database
from models import InboxUpdate, OutboxMessage
from tests.fakes import whatsapp_payloads as wa
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.whatsapp_api import FakeWhatsAppAPI
from tests.support.e2e_helpers import PatbmProcess
from tests.support.waiting import eventually
from tests.support.whatsapp_support import ACCESS_TOKEN, APP_SECRET, VERIFY_TOKEN

WAIT = 60.0  # a generous bound on one answer on a loaded machine; never a timing assertion
# A message due within this is one the person waits for (a lease or a 429 backoff included).
DUE_SOON = timedelta(minutes=2)


class World:
    def __init__(
        self,
        database_url: str,
        folder: Path,
        *,
        telegram: FakeTelegram | None = None,
        whatsapp: FakeWhatsAppAPI | None = None,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        self.database_url = database_url
        self.folder = folder
        self.telegram = telegram
        self.whatsapp = whatsapp
        self.extra_env = dict(extra_env or {})
        self.database = Database(database_url)
        self.processes: list[PatbmProcess] = []
        self.launched_at = 0.0

    # -- processes ----------------------------------------------------------------------------

    def _process(self) -> PatbmProcess:
        env = dict(self.extra_env)
        if self.whatsapp is not None:
            env |= {
                "PATBM_WHATSAPP_TOKEN": ACCESS_TOKEN,
                "PATBM_WHATSAPP_PHONE_NUMBER_ID": wa.PHONE_NUMBER_ID,
                "PATBM_WHATSAPP_APP_SECRET": APP_SECRET,
                "PATBM_WHATSAPP_VERIFY_TOKEN": VERIFY_TOKEN,
                "PATBM_WHATSAPP_API_URL": self.whatsapp.url,
            }
        api_url = self.telegram.api_url if self.telegram else "http://127.0.0.1:9/bot"
        token = self.telegram.token if self.telegram else "unused"
        proc = PatbmProcess(self.database_url, api_url, token, self.folder, extra_env=env)
        if self.telegram is None:
            del proc.env["PATBM_TELEGRAM_TOKEN"], proc.env["PATBM_TELEGRAM_API_URL"]
        return proc

    @property
    def running(self) -> PatbmProcess:
        assert self.processes, "patbm run was not started"
        return self.processes[-1]

    async def start(self) -> PatbmProcess:
        proc = self._process()
        self.processes.append(proc)
        self.launched_at = time.monotonic()
        await asyncio.to_thread(proc.start)
        return proc

    async def kill(self) -> None:
        await asyncio.to_thread(self.running.kill)

    async def stop(self) -> None:
        """SIGTERM: the bot finishes what it holds and exits 0."""
        code = await asyncio.to_thread(self.running.terminate)
        assert code == 0, self.running.log()[-3000:]

    async def close(self) -> None:
        for proc in self.processes:
            proc.ensure_stopped()
        await self.database.dispose()

    def patbm(self, *argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """`patbm ARGV` as its own process, with the running bot's settings (the operator)."""
        env = self._process().env
        done = subprocess.run(
            [sys.executable, "-m", "bot.runtime.cli", *argv],
            cwd=self.folder,
            env=env,
            capture_output=True,
            text=True,
            timeout=WAIT * 2,
            check=False,
        )
        if check:
            assert done.returncode == 0, f"patbm {' '.join(argv)}: {done.stdout}{done.stderr}"
        return done

    async def patbm_async(self, *argv: str) -> subprocess.CompletedProcess[str]:
        return await asyncio.to_thread(self.patbm, *argv)

    def log(self) -> str:
        return "\n".join(proc.log()[-4000:] for proc in self.processes)

    # -- what the running bot has done --------------------------------------------------------

    async def handled(self, channel: str, update_key: str) -> bool:
        async with self.database.transaction() as session:
            status = await session.scalar(
                select(InboxUpdate.status).where(
                    InboxUpdate.channel == channel, InboxUpdate.update_key == update_key
                )
            )
        return status in ("done", "failed")

    async def unsent(self, channel: str, chat_id: str) -> int:
        """Messages to this chat that are due (or due soon) and not yet sent."""
        soon = datetime.now(UTC) + DUE_SOON
        async with self.database.transaction() as session:
            count = await session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(
                    OutboxMessage.channel == channel,
                    OutboxMessage.chat_id == chat_id,
                    OutboxMessage.status == "pending",
                    OutboxMessage.next_attempt_at <= soon,
                )
            )
        return int(count or 0)

    async def outbox_count(self) -> int:
        """Every message ever queued (a sweep that queues nothing leaves it unchanged)."""
        async with self.database.transaction() as session:
            return int(await session.scalar(select(func.count()).select_from(OutboxMessage)) or 0)

    async def settled(self, channel: str, chat_id: str, update_key: str) -> None:
        """Wait until the update is handled and every due message to the chat was sent."""

        async def answered() -> bool:
            handled = await self.handled(channel, update_key)
            return handled and not await self.unsent(channel, chat_id)

        await eventually(
            answered,
            within=WAIT,
            what=lambda: f"no answer to {channel} update {update_key}:\n{self.log()}",
            step=0.03,
        )

    async def until_quiet(self, channel: str, chat_id: str) -> None:
        """Wait until nothing due for this chat is unsent (after another person's action)."""

        async def quiet() -> bool:
            return not await self.unsent(channel, chat_id)

        await eventually(
            quiet,
            within=WAIT,
            what=lambda: f"messages to {chat_id} stuck:\n{self.log()}",
            step=0.03,
        )
