"""Telegram Update JSON builders of the fake Bot API (mixed into FakeTelegram)."""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any

from tests.fakes.telegram_api_server import State


class UpdateBuilders:
    """Updates as Telegram sends them; `*_update` methods queue them for getUpdates."""

    state: State
    _lock: threading.RLock

    if TYPE_CHECKING:
        # Provided by FakeTelegram and BotApiServer.
        def add_update(self, update: dict[str, Any]) -> int: ...

        def _next_message_id(self, chat_id: int) -> int: ...

    def make_update(
        self, user_id: int, body: dict[str, Any], kind: str = "message"
    ) -> dict[str, Any]:
        """An update with an id (not queued): for posting to a webhook."""
        with self._lock:
            update_id = self.state.next_update_id
            self.state.next_update_id += 1
        return {"update_id": update_id, kind: body}

    @staticmethod
    def user(user_id: int) -> dict[str, Any]:
        return {
            "id": user_id,
            "is_bot": False,
            "first_name": f"User{user_id}",
            "language_code": "id",
        }

    def message_body(self, user_id: int, **fields: Any) -> dict[str, Any]:
        with self._lock:
            message_id = self._next_message_id(user_id)
        return {
            "message_id": message_id,
            "date": int(time.time()),
            "from": self.user(user_id),
            "chat": {"id": user_id, "type": "private", "first_name": f"User{user_id}"},
            **fields,
        }

    def text_update(self, user_id: int, text: str) -> int:
        return self.add_update({"message": self.message_body(user_id, text=text)})

    def contact_update(self, user_id: int, phone: str, contact_user_id: int | None) -> int:
        contact: dict[str, Any] = {"phone_number": phone, "first_name": "Kontak"}
        if contact_user_id is not None:
            contact["user_id"] = contact_user_id
        return self.add_update({"message": self.message_body(user_id, contact=contact)})

    def photo_update(self, user_id: int, file_id: str, caption: str | None = None) -> int:
        sizes = [
            {"file_id": file_id + "-small", "file_unique_id": "s", "width": 90, "height": 90},
            {"file_id": file_id, "file_unique_id": "b", "width": 800, "height": 800},
        ]
        fields: dict[str, Any] = {"photo": sizes}
        if caption:
            fields["caption"] = caption
        return self.add_update({"message": self.message_body(user_id, **fields)})

    def callback_body(self, user_id: int, data: str, message_id: int) -> dict[str, Any]:
        with self._lock:
            message = next(
                (m for m in self.state.chats.get(user_id, []) if m["message_id"] == message_id),
                {"message_id": message_id, "date": int(time.time()), "text": "?"},
            )
        return {
            "id": f"cq-{user_id}-{message_id}-{time.monotonic_ns()}",
            "from": self.user(user_id),
            "chat_instance": str(user_id),
            "data": data,
            "message": {**message, "chat": {"id": user_id, "type": "private"}},
        }

    def callback_update(self, user_id: int, data: str, message_id: int) -> int:
        return self.add_update({"callback_query": self.callback_body(user_id, data, message_id)})
