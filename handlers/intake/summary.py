"""The summary a cadre checks before saving, the source's name and phone typed there, the confirmation."""

from __future__ import annotations

import re
from typing import Any

from bot.cases import vocabulary
from bot.casework.intake import MAX_NAME
from handlers.intake.labels import HOW
from handlers.report.context import Ctx, has_words

_PREVIEW = 300
_PHONE = re.compile(r"\+?[0-9][0-9 .-]{6,18}[0-9]")


def parse_source_contact(text: str) -> tuple[str, str] | None:
    """'Bu Rina 0812-3456-7890' -> ('Bu Rina', '081234567890'); None without a name or a number."""
    found = _PHONE.search(text)
    phone = re.sub(r"[ .-]", "", found.group()) if found else ""
    name = (text[: found.start()] + " " + text[found.end() :]) if found else text
    name = re.sub(r"\s+", " ", name.replace(",", " ")).strip()[:MAX_NAME]
    if not phone and not has_words(name):
        return None
    return (name if has_words(name) else ""), phone


def summary_text(data: dict[str, Any], ctx: Ctx) -> str:
    t = ctx.t
    areas = ctx.areas
    kel = areas.get(data.get("kel")) if areas else None
    kec = areas.get(kel.parent) if areas and kel else None
    skipped = t("(dilewati)")
    area = f"{kel.name if kel else '?'}, {kec.name if kec else '?'}"
    sex, disability = data.get("sex"), data.get("disab")
    description = str(data.get("desc") or "")
    if len(description) > _PREVIEW:
        description = description[:_PREVIEW] + "…"
    means, consent = HOW.get(str(data.get("how") or ""), (None, None))
    victim = t(
        "Korban: {age}, {sex}",
        age=vocabulary.AGE_GROUPS.label(t, data.get("age"), skipped),
        sex=vocabulary.SEXES.label(t, sex, skipped),
    )
    if data.get("years") is not None:
        victim += " " + t("({n} tahun)", n=data["years"])
    if disability:
        victim += ", " + t("penyandang disabilitas")
    lines = [
        t("Periksa kasus yang Anda catat:"),
        "",
        t("Darurat: {value}", value=t("ya") if data.get("danger") else t("tidak")),
        t(
            "Bentuk kekerasan: {value}",
            value=vocabulary.CATEGORIES.labels(t, data.get("cat"), skipped),
        ),
        victim,
        t("Kelurahan, kecamatan: {value}", value=area),
        t("RT/RW atau patokan: {value}", value=data.get("loc") or skipped),
    ]
    if data.get("point"):
        lines.append(t("Titik lokasi: dibagikan"))
    lines += [
        t("Waktu: {value}", value=vocabulary.WHEN.label(t, data.get("when"), skipped)),
        t("Cerita: {value}", value=description or skipped),
    ]
    if data.get("evidence"):
        lines.append(t("Bukti: {count} file", count=len(data["evidence"])))
    lines += [
        t("Tempat kejadian: {value}", value=vocabulary.PLACES.label(t, data.get("place"), skipped)),
        t(
            "Hubungan pelaku: {value}",
            value=vocabulary.RELATIONS.label(t, data.get("rel"), skipped),
        ),
        t(
            "Sumber: {teller}, {means}",
            teller=vocabulary.SOURCE_TELLERS.label(t, data.get("teller"), skipped),
            means=vocabulary.SOURCE_MEANS.label(t, means, "-"),
        ),
        t("Sumber boleh dihubungi: {value}", value=t("ya") if consent == "y" else t("tidak")),
    ]
    if data.get("src_name") or data.get("src_phone"):
        contact = " ".join(str(data.get(k) or "") for k in ("src_name", "src_phone")).strip()
        lines.append(t("Nama/HP sumber: {value}", value=contact))
    if data.get("assignee_label"):
        lines.append(t("Dipegang oleh: {name}", name=data["assignee_label"]))
    lines += [
        "",
        t(
            "Bila ada, ketik nama dan nomor HP sumber (disimpan terenkripsi, hanya untuk "
            "petugas yang berwenang). Jika sudah benar, tekan “Simpan kasus”."
        ),
    ]
    return "\n".join(lines)


def confirmation_text(
    reference: str, pin: str, *, darurat: bool, held_by: str | None, ctx: Ctx
) -> str:
    t = ctx.t
    if held_by is None:
        holder = t("Kasus ini sudah Anda pegang (diterima); batas waktu tindak lanjut berlaku.")
    else:
        holder = t("Kasus diserahkan kepada {name} dan menunggu diterima.", name=held_by)
    lines = [
        t("Kasus tercatat."),
        "",
        t("Nomor laporan: {reference}\nPIN: {pin}", reference=reference, pin=pin),
        t(
            "Berikan nomor dan PIN ini kepada sumber (tulis di kertas atau bacakan). Dari chat "
            "mana pun, sumber bisa melihat perkembangannya dengan: /status {reference} {pin}",
            reference=reference,
            pin=pin,
        ),
        "",
        holder,
    ]
    if darurat:
        numbers = "\n".join(f"📞 {line}" for line in ctx.emergency_lines)
        lines += [
            "",
            t("Karena darurat, koordinator dan Dinas PPPA langsung diberi tahu."),
            t("Nomor darurat:\n{numbers}", numbers=numbers),
        ]
    return "\n".join(lines)
