"""A fake Telegram Bot API server for tests, with Telegram's semantics, on 127.0.0.1.

Runs Starlette + uvicorn in a background thread (its own event loop), so it serves both async
tests and `patbm run` subprocesses, and a test may block without starving it.

    with FakeTelegram.running() as fake:          # or: fake = FakeTelegram(); fake.start(); ...
        fake.api_url                              # PATBM_TELEGRAM_API_URL ("http://127.0.0.1:P/bot")
        fake.token                                # PATBM_TELEGRAM_TOKEN the fake accepts
        uid = fake.text_update(1001, "halo")      # queue an update (returns its update_id)
        fake.callback_update(1001, "k:ya", message_id=5)
        fake.contact_update(1001, "+6281234567890", contact_user_id=1001)
        fake.photo_update(1001, file_id="PHOTO1")
        await eventually(lambda: fake.messages(1001), within=10)  # tests/support/waiting.py
        fake.messages(1001)                       # the chat's current messages (edits applied)
        fake.calls_to("sendMessage")              # every recorded call, params decoded
        fake.fail_next("sendMessage", 2, status=429, retry_after=1)   # or status=500 / 403 / 400
        fake.fail_next("sendMessage", status=429, retry_after=600, chat_id=1001)  # one chat
        fake.hang("sendMessage")                  # calls block until fake.release("sendMessage")
        fake.abandoned                            # held calls whose caller died (not delivered)
        fake.block_chat(1001)                     # 403 "bot was blocked by the user"
        fake.make_update(1001, fake.message_body(1001, text="hi"))   # an update to POST to a
                                                  # webhook (not queued for getUpdates)
        fake.webhook                              # what setWebhook set (url, secret_token...)

With `patbm run` in a subprocess: tests/support/e2e_helpers.py (PatbmProcess, TelegramUser).
Split in three modules: this one (life cycle, faults, reading), telegram_updates (Update JSON
builders), telegram_api_server (state and the Bot API methods).

Semantics kept: getUpdates returns pending updates with id >= offset (at most `limit`), and an
update stays pending until a call with a higher offset confirms it; with nothing pending it
waits up to `timeout` seconds for one; getUpdates answers 409 while a webhook is set.
sendMessage gives per-chat increasing message ids; editMessageText answers 400 "message is not
modified" / "message to edit not found" like Telegram; 429 answers carry
`parameters.retry_after`. Every call is recorded (method, decoded params, time).
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.routing import Route

from tests.fakes.telegram_api_server import BOT_USER, BotApiServer, Call, Fault, State
from tests.fakes.telegram_files import FileApi
from tests.fakes.telegram_updates import UpdateBuilders

__all__ = ["BOT_USER", "TOKEN", "Call", "FakeTelegram", "free_port"]

TOKEN = "123456:TEST-TOKEN-fake"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class _Server(uvicorn.Server):
    @contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class FakeTelegram(UpdateBuilders, FileApi, BotApiServer):
    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.port = free_port()
        self.state = State()
        self._lock = threading.RLock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._changed: asyncio.Condition | None = None
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._closing = False
        self._init_files()

    # -- life cycle ---------------------------------------------------------------------------

    @classmethod
    @contextmanager
    def running(cls, token: str = TOKEN) -> Iterator[FakeTelegram]:
        fake = cls(token)
        fake.start()
        try:
            yield fake
        finally:
            fake.stop()

    @property
    def token_secret(self) -> SecretStr:
        """The token as settings hold it (`settings.model_copy(update={"telegram_token": ...})`)."""
        return SecretStr(self.token)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.base}/bot"

    def start(self) -> None:
        app = Starlette(
            routes=[
                Route("/bot{token}/{method}", self._endpoint, methods=["GET", "POST"]),
                Route("/file/bot{token}/{path:path}", self._file_endpoint, methods=["GET"]),
            ]
        )
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan="off",
            # Long polls of a killed client would otherwise hold the shutdown for their timeout.
            timeout_graceful_shutdown=1,
        )
        self._server = _Server(config)
        # Listening before start() returns: a client's connection waits in the backlog until
        # uvicorn accepts it, so nobody has to poll for the server being up.
        listening = socket.socket()
        listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listening.bind(("127.0.0.1", self.port))
        listening.listen(128)
        ready = threading.Event()

        def serve() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            self._changed = asyncio.Condition()
            loop.call_soon(ready.set)
            loop.run_until_complete(self._server.serve(sockets=[listening]))  # type: ignore[union-attr]
            loop.close()
            listening.close()

        self._thread = threading.Thread(target=serve, name="fake-telegram", daemon=True)
        self._thread.start()
        if not ready.wait(30):
            raise RuntimeError("fake Telegram did not start")

    def stop(self) -> None:
        self._closing = True
        with self._lock:
            self.state.hanging.clear()
        self._notify()
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(10)

    def _notify(self) -> None:
        loop, changed = self._loop, self._changed
        if loop is None or changed is None or loop.is_closed():
            return

        async def wake() -> None:
            async with changed:
                changed.notify_all()

        asyncio.run_coroutine_threadsafe(wake(), loop)

    # -- what tests do ------------------------------------------------------------------------

    def add_update(self, update: dict[str, Any]) -> int:
        with self._lock:
            if "update_id" not in update:
                update = {"update_id": self.state.next_update_id, **update}
            self.state.next_update_id = max(self.state.next_update_id, update["update_id"]) + 1
            self.state.updates.append(update)
        self._notify()
        return int(update["update_id"])

    def fail_next(
        self,
        method: str,
        count: int = 1,
        *,
        status: int = 429,
        retry_after: int | None = 1,
        description: str | None = None,
        chat_id: int | None = None,
    ) -> None:
        """The next `count` calls of `method` ("*" for any; to `chat_id` only, when given)
        answer this error."""
        text = description or {
            429: f"Too Many Requests: retry after {retry_after}",
            403: "Forbidden: bot was blocked by the user",
            400: "Bad Request: chat not found",
        }.get(status, "Internal Server Error")
        with self._lock:
            self.state.faults.setdefault(method, []).append(
                Fault(count, status, retry_after if status == 429 else None, text, chat_id)
            )

    def hang(self, method: str) -> None:
        """Calls of `method` block (never answer) until release(method) or stop()."""
        with self._lock:
            self.state.hanging.add(method)

    def release(self, method: str) -> None:
        with self._lock:
            self.state.hanging.discard(method)
        self._notify()

    def block_chat(self, chat_id: int) -> None:
        with self._lock:
            self.state.blocked.add(chat_id)

    def forget_chat(self, chat_id: int) -> None:
        with self._lock:
            self.state.unknown.add(chat_id)

    # -- what tests read ----------------------------------------------------------------------

    @property
    def calls(self) -> list[Call]:
        with self._lock:
            return list(self.state.calls)

    @property
    def abandoned(self) -> list[Call]:
        """Calls held by `hang` whose caller went away (killed): never delivered."""
        with self._lock:
            return list(self.state.abandoned)

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def messages(self, chat_id: int) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(m) for m in self.state.chats.get(chat_id, [])]

    def texts(self, chat_id: int) -> list[str]:
        return [str(m.get("text") or m.get("caption") or "") for m in self.messages(chat_id)]

    def pending_updates(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self.state.updates)
