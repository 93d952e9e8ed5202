"""The summary the reporter checks before sending, and the confirmation after."""

from __future__ import annotations

from typing import Any

from handlers.report.context import Ctx
from handlers.report.labels import (
    AGE_GROUPS,
    CATEGORIES,
    PLACES,
    RELATIONS,
    REPORTER_ROLES,
    SEXES,
    WHEN,
)

_PREVIEW = 300
_CAPTION_PREVIEW = 100


def _label(table: dict[str, str], value: Any, ctx: Ctx) -> str:
    if not value:
        return ctx.t("(dilewati)")
    return ctx.t(table.get(str(value), str(value)))


def summary_text(data: dict[str, Any], ctx: Ctx) -> str:
    t = ctx.t
    areas = ctx.areas
    kel = areas.get(data.get("kel")) if areas else None
    kec = areas.get(data.get("kec")) if areas else None
    area = f"{kel.name if kel else '?'}, {kec.name if kec else '?'}"
    categories = ", ".join(t(CATEGORIES[c]) for c in data.get("cat") or [] if c in CATEGORIES)
    description = str(data.get("desc") or "")
    if len(description) > _PREVIEW:
        description = description[:_PREVIEW] + "…"
    evidence = len(data.get("evidence") or [])
    lines = [
        t("Mohon periksa laporan Anda:"),
        "",
        t("Darurat: {value}", value=t("ya") if data.get("danger") else t("tidak")),
        t("Bentuk kekerasan: {value}", value=categories or t("(dilewati)")),
        t(
            "Korban: {age}, {sex}",
            age=_label(AGE_GROUPS, data.get("age"), ctx),
            sex=_label(SEXES, data.get("sex"), ctx),
        ),
        t("Kelurahan, kecamatan: {value}", value=area),
        t("RT/RW atau patokan: {value}", value=data.get("loc") or t("(dilewati)")),
    ]
    if data.get("point"):
        lines.append(t("Titik lokasi: dibagikan"))
    lines += [
        t("Waktu: {value}", value=_label(WHEN, data.get("when"), ctx)),
        t("Cerita: {value}", value=description or t("(dilewati)")),
    ]
    if evidence:
        lines.append(t("Bukti: {count} file", count=evidence))
        for item in data.get("evidence") or []:
            if isinstance(item, dict) and item.get("caption"):
                lines.append(f"  • “{str(item['caption'])[:_CAPTION_PREVIEW]}”")
    lines += [
        t("Tempat kejadian: {value}", value=_label(PLACES, data.get("place"), ctx)),
        t("Hubungan pelaku: {value}", value=_label(RELATIONS, data.get("rel"), ctx)),
        t("Peran Anda: {value}", value=_label(REPORTER_ROLES, data.get("role"), ctx)),
        "",
        # Asked here, with the send buttons, not as a question of its own: one action less.
        t(
            "Bolehkah petugas PATBM menghubungi Anda lewat bot ini? "
            "Nomor Anda tidak akan terlihat oleh petugas. Jika tidak, laporan Anda tetap anonim."
        ),
        t("Jika sudah benar, kirim dengan salah satu tombol “Kirim”."),
    ]
    return "\n".join(lines)


def confirmation_text(reference: str, pin: str, darurat: bool, ctx: Ctx) -> str:
    t = ctx.t
    numbers = "\n".join(f"📞 {line}" for line in ctx.emergency_lines)
    next_step = (
        t("Karena darurat, petugas PATBM dan Dinas PPPA langsung diberi tahu.")
        if darurat
        else t(
            "Kader PATBM di kelurahan tersebut akan menindaklanjuti, biasanya dalam 1 hari kerja."
        )
    )
    return t(
        "Terima kasih. Laporan Anda sudah kami terima.\n\n"
        "Nomor laporan: {reference}\nPIN: {pin}\n"
        "Simpan nomor dan PIN ini. Untuk melihat perkembangan, kirim: /status {reference} {pin}\n\n"
        "{next_step}\n\n"
        "Jika ada bahaya, segera hubungi:\n{numbers}\n\n"
        "Demi keamanan Anda, setelah mencatat nomor dan PIN, Anda boleh menghapus percakapan ini.",
        reference=reference,
        pin=pin,
        next_step=next_step,
        numbers=numbers,
    )
