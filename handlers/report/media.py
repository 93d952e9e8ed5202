"""Photos, voice notes, videos and documents sent during a report, and the words with them.

Nothing the resident writes is dropped. At the story step a caption is the story (added after
what was written before, in the order it came); at any other step it stays with its file as
that file's caption. A file that cannot be kept (too big, too many, a sticker) keeps its words:
they go into the story, and the resident is told why the file was not taken.
"""

from __future__ import annotations

from typing import Any

from bot.evidence_rules import EVIDENCE_KINDS, MAX_BYTES, MAX_CAPTION, MAX_FILES, megabytes
from bot.messages import Inbound
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


def media_step(state: ConversationState, inbound: Inbound, ctx: Ctx) -> Outcome:
    assert inbound.media is not None
    media = inbound.media
    data = state.data
    out = Outcome()
    caption = _caption(inbound)
    at_story = state.step == "desc"
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
        out.say(refusal)
        if caption is not None and add_to_story(data, caption):
            out.say(ctx.t("Tulisan Anda bersama berkas itu kami simpan dalam cerita."))
        return reprompt(state, ctx, out)
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
    if at_story:
        if story_added:
            said = ctx.t(
                "Bukti dan tulisan Anda diterima ({count}). Tambah cerita atau bukti lain, "
                "atau tekan “Lanjut”.",
                count=len(evidence),
            )
        else:
            said = ctx.t(
                "Bukti diterima ({count}). Tulis ceritanya, kirim bukti lain, atau tekan “Lanjut”.",
                count=len(evidence),
            )
        out.say(said, options_for("desc", data, ctx))
        return out
    if caption is not None:
        out.say(ctx.t("Bukti dan keterangannya diterima dan akan disimpan bersama laporan."))
    else:
        out.say(ctx.t("Bukti diterima dan akan disimpan bersama laporan."))
    return reprompt(state, ctx, out)
