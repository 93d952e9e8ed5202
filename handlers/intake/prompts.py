"""Each intake question with its options (ids `i:<step>:<value>`, at most 64 bytes)."""

from __future__ import annotations

from typing import Any

from bot.core.i18n import N_
from bot.messaging.messages import Option, Reply
from handlers.intake.context import IntakeCtx, option_id
from handlers.intake.labels import (
    AGE_GROUPS,
    CATEGORIES,
    DANGER,
    DONE,
    EDITABLE,
    HOW_LABELS,
    MULTI,
    OPTIONAL_STEPS,
    OTHER,
    OWN,
    PLACES,
    RELATIONS,
    SELF,
    SEX_LABELS,
    SKIP,
    SUMMARY_ACTIONS,
    TELLERS,
    WHEN,
)
from handlers.intake.summary import summary_text

QUESTIONS = {
    "danger": N_(
        "Catat kasus yang Anda temui. Apakah ada orang yang dalam bahaya SEKARANG?\n"
        "(Untuk melapor sebagai pribadi, pilih “Sebagai warga”.)"
    ),
    "cat": N_("Bentuk kekerasan? Pilih satu, atau “Lebih dari satu”."),
    "cat_multi": N_("Pilih semua bentuk kekerasan yang sesuai, lalu tekan “Lanjut”."),
    "age": N_("Kelompok usia korban? Anda juga boleh mengetik usianya dalam tahun (misalnya 9)."),
    "sex": N_(
        "Jenis kelamin korban? Pilih yang bertanda “disabilitas” bila korban penyandang disabilitas."
    ),
    "kelpick": N_("Di kelurahan mana kejadiannya?"),
    "kel": N_(
        "Kelurahan: {kelurahan}.\nTulis RT/RW atau patokan (Anda juga boleh membagikan lokasi), "
        "atau tekan ✅ untuk lanjut tanpa itu."
    ),
    "when": N_("Kapan kejadiannya?"),
    "desc": N_(
        "Tuliskan kejadiannya singkat, seperti yang diceritakan kepada Anda. Foto atau pesan "
        "suara (dengan keterangan) juga boleh."
    ),
    "place": N_("Tempat kejadian?"),
    "rel": N_("Hubungan pelaku dengan korban?"),
    "teller": N_("Siapa yang memberi tahu Anda?"),
    "how": N_(
        "Bagaimana Anda diberi tahu (bertemu langsung atau lewat telepon), dan bolehkah orang "
        "itu Anda kontak lagi?"
    ),
    "assign": N_(
        "Siapa yang memegang kasus ini? Kader yang disarankan (★: paling sedikit kasus, sedang "
        "bertugas) ada di urutan pertama."
    ),
    "edit": N_("Bagian mana yang ingin diubah?"),
}

_CHOICES: dict[str, dict[str, str]] = {
    "danger": DANGER,
    "age": AGE_GROUPS,
    "sex": SEX_LABELS,
    "when": WHEN,
    "place": PLACES,
    "rel": RELATIONS,
    "teller": TELLERS,
    "how": HOW_LABELS,
}


def _kelurahan_name(data: dict[str, Any], ctx: IntakeCtx) -> str:
    place = ctx.areas.get(str(data.get("kel") or "")) if ctx.areas else None
    return place.name if place else "?"


def options_for(step: str, data: dict[str, Any], ctx: IntakeCtx) -> list[Option]:
    t = ctx.t
    options: list[Option] = []
    if step in _CHOICES:
        options = [Option(option_id(step, v), t(label)) for v, label in _CHOICES[step].items()]
    elif step == "cat":
        chosen = set(data.get("cat") or [])
        multi = bool(data.get("multi"))
        options = [
            Option(option_id(step, v), ("✅ " if multi and v in chosen else "") + t(label))
            for v, label in CATEGORIES.items()
        ]
        if multi:
            options.append(Option(option_id(step, DONE), t("Lanjut ➡️")))
        else:
            options.append(Option(option_id(step, MULTI), t("➕ Lebih dari satu")))
    elif step == "kelpick":
        options = [Option(option_id(step, p.code), p.name) for p in ctx.kelurahan_choices()]
    elif step == "kel":
        options = [
            Option(option_id(step, OWN), f"✅ {_kelurahan_name(data, ctx)}"),
            Option(option_id(step, OTHER), t("Kelurahan lain")),
        ]
    elif step == "desc" and (data.get("evidence") or data.get("desc")):
        options = [Option(option_id(step, DONE), t("Lanjut ➡️"))]
    elif step == "assign":
        options = [Option(option_id(step, str(sid)), label) for sid, label in ctx.cadres]
        options.append(Option(option_id(step, SELF), t("Saya pegang sendiri")))
    elif step == "summary":
        options = [Option(option_id(step, v), t(label)) for v, label in SUMMARY_ACTIONS.items()]
    elif step == "edit":
        options = [Option(option_id(step, k), t(label)) for k, (_, label) in EDITABLE.items()]
        options.append(Option(option_id(step, "back"), t("↩️ Kembali ke ringkasan")))
    if step in OPTIONAL_STEPS:
        options.append(Option(option_id(step, SKIP), t("⏭️ Lewati")))
    return options


def prompt(step: str, data: dict[str, Any], ctx: IntakeCtx) -> Reply:
    t = ctx.t
    if step == "summary":
        text = summary_text(data, ctx)
    elif step == "kel":
        text = t(QUESTIONS["kel"], kelurahan=_kelurahan_name(data, ctx))
    elif step == "cat" and data.get("multi"):
        text = t(QUESTIONS["cat_multi"])
    else:
        text = t(QUESTIONS[step])
    return Reply(text=text, options=tuple(options_for(step, data, ctx)))
