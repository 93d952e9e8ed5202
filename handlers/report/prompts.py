"""The question of each step, with its options (ids `r:<step>:<value>`, at most 64 bytes)."""

from __future__ import annotations

from typing import Any

from bot.core.i18n import N_
from bot.messaging.messages import Option, Reply
from handlers.report.areas import Place
from handlers.report.context import Ctx, option_id
from handlers.report.labels import (
    AGE_GROUPS,
    AREA_PAGE_SIZE,
    CATEGORIES,
    CONTACT,
    DANGER,
    DONE,
    EDITABLE,
    OPTIONAL_STEPS,
    PLACES,
    RELATIONS,
    REPORTER_ROLES,
    SEXES,
    SKIP,
    SUMMARY_ACTIONS,
    SUMMARY_SHORTCUT_STEPS,
    TO_SUMMARY,
    WHEN,
)
from handlers.report.summary import summary_text

QUESTIONS = {
    "danger": N_("Apakah ada orang yang dalam bahaya SEKARANG?"),
    "cat": N_("Kekerasan apa yang terjadi? Boleh pilih lebih dari satu, lalu tekan “Lanjut”."),
    "age": N_("Berapa kira-kira usia korban?"),
    "sex": N_("Jenis kelamin korban?"),
    "kec": N_("Di kecamatan mana kejadiannya? Pilih, atau ketik nama kecamatan/kelurahan."),
    "kel": N_("Di kelurahan mana (Kecamatan {kecamatan})? Pilih, atau ketik namanya."),
    "loc": N_(
        "Tulis RT/RW, nama jalan, atau patokan (misalnya dekat masjid). "
        "Anda juga boleh membagikan lokasi. Boleh dilewati."
    ),
    "when": N_("Kapan kejadiannya?"),
    "desc": N_(
        "Ceritakan apa yang terjadi dengan kata-kata Anda sendiri. "
        "Anda juga boleh mengirim foto atau pesan suara sebagai bukti."
    ),
    "place": N_("Di mana tempat kejadiannya?"),
    "rel": N_("Apa hubungan pelaku dengan korban?"),
    "role": N_("Siapa Anda bagi korban?"),
    "contact": N_(
        "Bolehkah petugas PATBM menghubungi Anda lewat bot ini? "
        "Nomor Anda tidak akan terlihat oleh petugas. Jika tidak, laporan Anda tetap anonim."
    ),
    "edit": N_("Bagian mana yang ingin diubah?"),
}

_CHOICES: dict[str, dict[str, str]] = {
    "danger": DANGER,
    "age": AGE_GROUPS,
    "sex": SEXES,
    "when": WHEN,
    "place": PLACES,
    "rel": RELATIONS,
    "role": REPORTER_ROLES,
    "contact": CONTACT,
}


def _page(places: list[Place], page: int) -> tuple[list[Place], int, int]:
    pages = max(1, -(-len(places) // AREA_PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    start = page * AREA_PAGE_SIZE
    return places[start : start + AREA_PAGE_SIZE], page, pages


def _area_options(step: str, places: list[Place], page: int, ctx: Ctx) -> list[Option]:
    shown, page, pages = _page(places, page)
    options = [Option(option_id(step, p.code), p.name) for p in shown]
    if page > 0:
        options.append(Option(option_id(step, f"p{page - 1}"), ctx.t("◀️ Sebelumnya")))
    if page < pages - 1:
        options.append(Option(option_id(step, f"p{page + 1}"), ctx.t("Berikutnya ▶️")))
    return options


def options_for(step: str, data: dict[str, Any], ctx: Ctx) -> list[Option]:
    t = ctx.t
    options: list[Option] = []
    if step in _CHOICES:
        options = [Option(option_id(step, v), t(label)) for v, label in _CHOICES[step].items()]
    elif step == "cat":
        chosen = set(data.get("cat") or [])
        options = [
            Option(option_id(step, v), ("✅ " if v in chosen else "") + t(label))
            for v, label in CATEGORIES.items()
        ]
        options.append(Option(option_id(step, DONE), t("Lanjut ➡️")))
    elif step == "kec" and ctx.areas is not None:
        options = _area_options(step, ctx.areas.kecamatan, int(data.get("page") or 0), ctx)
    elif step == "kel" and ctx.areas is not None:
        places = ctx.areas.kelurahan.get(str(data.get("kec")), [])
        options = _area_options(step, places, int(data.get("page") or 0), ctx)
        options.append(Option(option_id(step, "back"), t("↩️ Ganti kecamatan")))
    elif step == "desc" and (data.get("evidence") or data.get("desc")):
        options = [Option(option_id(step, DONE), t("Lanjut ➡️"))]
    elif step == "summary":
        options = [Option(option_id(step, v), t(label)) for v, label in SUMMARY_ACTIONS.items()]
    elif step == "edit":
        options = [Option(option_id(step, k), t(label)) for k, (_, label) in EDITABLE.items()]
        options.append(Option(option_id(step, "back"), t("↩️ Kembali ke ringkasan")))
    if step in OPTIONAL_STEPS:
        options.append(Option(option_id(step, SKIP), t("⏭️ Lewati")))
    if step in SUMMARY_SHORTCUT_STEPS and not data.get("editing"):
        options.append(Option(option_id(step, TO_SUMMARY), t("📝 Langsung ke ringkasan")))
    return options


def prompt(step: str, data: dict[str, Any], ctx: Ctx) -> Reply:
    t = ctx.t
    if step == "summary":
        text = summary_text(data, ctx)
    elif step == "kel":
        kec = ctx.areas.get(str(data.get("kec"))) if ctx.areas else None
        text = t(QUESTIONS["kel"], kecamatan=kec.name if kec else "?")
    else:
        text = t(QUESTIONS[step])
    return Reply(text=text, options=tuple(options_for(step, data, ctx)))


def emergency_text(ctx: Ctx) -> str:
    numbers = "\n".join(f"📞 {line}" for line in ctx.emergency_lines)
    return ctx.t(
        "Jika ada bahaya sekarang, segera hubungi:\n{numbers}\n"
        "Laporan Anda akan kami tandai DARURAT. Kita lanjutkan dengan beberapa pertanyaan singkat.",
        numbers=numbers,
    )
