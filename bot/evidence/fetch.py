"""Downloading evidence files from the platform they were sent on.

- Telegram: `getFile?file_id=...` gives a `file_path`; the bytes are at
  `{base}/file/bot<token>/<file_path>` (base: PATBM_TELEGRAM_API_URL without its `/bot`).
- WhatsApp: `GET /{version}/{media-id}` (bearer token) gives a short-lived `url`; the bytes are
  a `GET` of that url with the same token.

Downloads are streamed and cut at the size limit, so an oversized file never sits in memory
whole. `TooLarge` is final (the file is refused); `FetchFailed` is retried by the job.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import httpx

from bot.core.settings import Settings
from bot.evidence.rules import MAX_BYTES

TIMEOUT = httpx.Timeout(60.0, connect=10.0)


class TooLarge(Exception):
    def __init__(self, size: int | None) -> None:
        super().__init__("too large")
        self.size = size


class FetchFailed(Exception):
    """Temporary or unknown: tried again later (the reason is a code, never content)."""


@dataclass(frozen=True)
class Fetched:
    content: bytes
    mime_type: str | None


class Fetcher(Protocol):
    channel: str

    async def fetch(self, file_ref: str) -> Fetched: ...


async def _download(
    http: httpx.AsyncClient, url: str, headers: dict[str, str], limit: int
) -> Fetched:
    try:
        async with http.stream("GET", url, headers=headers) as response:
            if response.status_code >= 400:
                raise FetchFailed(f"download http {response.status_code}")
            declared = response.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > limit:
                raise TooLarge(int(declared))
            chunks: list[bytes] = []
            total = 0
            async for chunk in response.aiter_bytes():
                total += len(chunk)
                if total > limit:
                    raise TooLarge(None)
                chunks.append(chunk)
            mime = response.headers.get("content-type")
    except httpx.HTTPError as exc:
        raise FetchFailed(f"download {type(exc).__name__}") from exc
    return Fetched(b"".join(chunks), mime.split(";")[0].strip() if mime else None)


class TelegramFetcher:
    channel = "telegram"

    def __init__(
        self, http: httpx.AsyncClient, api_url: str, token: str, limit: int = MAX_BYTES
    ) -> None:
        self.http = http
        self.api = f"{api_url}{token}"
        base = api_url[: -len("/bot")] if api_url.endswith("/bot") else api_url.rstrip("/")
        self.files = f"{base}/file/bot{token}"
        self.limit = limit

    async def fetch(self, file_ref: str) -> Fetched:
        try:
            response = await self.http.get(f"{self.api}/getFile", params={"file_id": file_ref})
            body = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise FetchFailed(f"getFile {type(exc).__name__}") from exc
        if not isinstance(body, dict) or not body.get("ok"):
            description = str(body.get("description", "")) if isinstance(body, dict) else ""
            if "too big" in description.lower():
                raise TooLarge(None)
            raise FetchFailed(f"getFile http {response.status_code}")
        result = body.get("result") or {}
        size = result.get("file_size")
        if isinstance(size, int) and size > self.limit:
            raise TooLarge(size)
        path = result.get("file_path")
        if not isinstance(path, str) or not path:
            raise FetchFailed("getFile without file_path")
        return await _download(self.http, f"{self.files}/{path}", {}, self.limit)


class WhatsAppFetcher:
    channel = "whatsapp"

    def __init__(
        self,
        http: httpx.AsyncClient,
        base_url: str,
        version: str,
        token: str,
        limit: int = MAX_BYTES,
    ) -> None:
        self.http = http
        self.root = f"{base_url.rstrip('/')}/{version.strip('/')}"
        self.headers = {"Authorization": f"Bearer {token}"}
        self.limit = limit

    async def fetch(self, file_ref: str) -> Fetched:
        try:
            response = await self.http.get(f"{self.root}/{file_ref}", headers=self.headers)
            body = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise FetchFailed(f"media url {type(exc).__name__}") from exc
        if response.status_code >= 400 or not isinstance(body, dict) or not body.get("url"):
            raise FetchFailed(f"media url http {response.status_code}")
        size = body.get("file_size")
        if isinstance(size, int | str) and str(size).isdigit() and int(size) > self.limit:
            raise TooLarge(int(size))
        fetched = await _download(self.http, str(body["url"]), self.headers, self.limit)
        mime = body.get("mime_type")
        return Fetched(fetched.content, str(mime).split(";")[0] if mime else fetched.mime_type)


def build_fetchers(settings: Settings, http: httpx.AsyncClient) -> dict[str, Fetcher]:
    """A fetcher for each configured channel."""
    fetchers: dict[str, Fetcher] = {}
    if settings.telegram_token is not None:
        fetchers["telegram"] = TelegramFetcher(
            http, settings.telegram_api_url, settings.telegram_token.get_secret_value()
        )
    if settings.whatsapp_token is not None:
        fetchers["whatsapp"] = WhatsAppFetcher(
            http,
            settings.whatsapp_api_url,
            settings.whatsapp_api_version,
            settings.whatsapp_token.get_secret_value(),
        )
    return fetchers
