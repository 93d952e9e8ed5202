"""Photos, voice notes, videos and documents sent during a report, and the words with them.

Nothing the resident writes is dropped. At the story step a caption is the story (added after
what was written before, in the order it came); at any other step it stays with its file as
that file's caption. A file that cannot be kept (too big, too many, a sticker) keeps its words:
they go into the story, and the resident is told why the file was not taken.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.evidence.rules import EVIDENCE_KINDS, MAX_BYTES, MAX_CAPTION, MAX_FILES, megabytes
from bot.messaging.messages import Inbound
from handlers.base import ConversationState
from handlers.report.context import Ctx, Outcome, has_words
from handlers.report.labels import MAX_DESCRIPTION
from handlers.report.navigation import reprompt
from handlers.report.prompts import options_for


def add_to_story(data: dict[str, Any], words: str) -> bool:
    """Append `words` to the story; False when the story is full and nothing was added."""
    story = str(data.get("desc") or "")
    joined = f"{story}\n{words}" if story else words
    if len(story) >= MAX_DESCRIPTION:
        return False
    data["desc"] = joined[:MAX_DESCRIPTION]
    return True


def _caption(inbound: Inbound) -> str | None:
    text = (inbound.text or "").strip()
    return text if has_words(text) else None


@dataclass(frozen=True)
class MediaTaken:
    """What became of one file: refused (and why), kept, and whether its words went to the story."""

    refusal: str | None
    story_added: bool
    caption: str | None
    count: int


def take_media(data: dict[str, Any], inbound: Inbound, ctx: Ctx, *, at_story: bool) -> MediaTaken:
    """Keep the file (or refuse it) and its words in `data`; any flow with a story step uses it."""
    assert inbound.media is not None
    media = inbound.media
    caption = _caption(inbound)
    evidence = list(data.get("evidence") or [])
    refusal: str | None = None
    if media.kind not in EVIDENCE_KINDS:
        refusal = ctx.t("Maaf, stiker atau berkas seperti ini tidak bisa kami gunakan.")
    elif media.file_size is not None and media.file_size > MAX_BYTES:
        refusal = ctx.t(
            "Maaf, berkas ini terlalu besar untuk disimpan (paling besar {limit}). "
            "Kirim yang lebih kecil, atau ceritakan isinya dengan kata-kata.",
            limit=megabytes(MAX_BYTES),
        )
    elif len(evidence) >= MAX_FILES:
        refusal = ctx.t(
            "Bukti sudah cukup banyak ({limit} berkas); petugas bisa meminta yang lain nanti.",
            limit=MAX_FILES,
        )
    if refusal is not None:
        added = caption is not None and add_to_story(data, caption)
        return MediaTaken(refusal, added, caption, len(evidence))
    item: dict[str, Any] = {"kind": media.kind, "file_id": media.file_id}
    if media.mime_type:
        item["mime"] = media.mime_type
    if media.file_size is not None:
        item["size"] = media.file_size
    story_added = False
    if caption is not None and at_story:
        story_added = add_to_story(data, caption)
    if caption is not None and not story_added:
        item["caption"] = caption[:MAX_CAPTION]
    evidence.append(item)
    data["evidence"] = evidence
    return MediaTaken(None, story_added, caption, len(evidence))


def media_step(state: ConversationState, inbound: Inbound, ctx: Ctx) -> Outcome:
    out = Outcome()
    at_story = state.step == "desc"
    taken = take_media(state.data, inbound, ctx, at_story=at_story)
    if taken.refusal is not None:
        out.say(taken.refusal)
        if taken.story_added:
            out.say(ctx.t("Tulisan Anda bersama berkas itu kami simpan dalam cerita."))
        return reprompt(state, ctx, out)
    if at_story:
        out.say(story_media_text(taken, ctx), options_for("desc", state.data, ctx))
        return out
    if taken.caption is not None:
        out.say(ctx.t("Bukti dan keterangannya diterima dan akan disimpan bersama laporan."))
    else:
        out.say(ctx.t("Bukti diterima dan akan disimpan bersama laporan."))
    return reprompt(state, ctx, out)


def story_media_text(taken: MediaTaken, ctx: Ctx) -> str:
    if taken.story_added:
        return ctx.t(
            "Bukti dan tulisan Anda diterima ({count}). Tambah cerita atau bukti lain, "
            "atau tekan “Lanjut”.",
            count=taken.count,
        )
    return ctx.t(
        "Bukti diterima ({count}). Tulis ceritanya, kirim bukti lain, atau tekan “Lanjut”.",
        count=taken.count,
    )
