"""The SIMFONI-PPA vocabulary: our stored codes and the labels the national recording system uses.

SIMFONI-PPA (Sistem Informasi Online Perlindungan Perempuan dan Anak, KemenPPPA) is where the
Dinas carries cases into; exports and statistics speak its words so a row can be copied across.
A code we do not know is shown as it is, never dropped.
"""

from __future__ import annotations

from collections.abc import Iterable

# Bentuk kekerasan; perundungan and perkawinan anak are the PATBM programme's own additions.
CATEGORY_LABELS = {
    "fisik": "Fisik",
    "psikis": "Psikis",
    "seksual": "Seksual",
    "eksploitasi": "Eksploitasi",
    "tppo": "Trafficking (TPPO)",
    "perdagangan_orang": "Trafficking (TPPO)",
    "penelantaran": "Penelantaran",
    "lainnya": "Lainnya",
    "perundungan": "Perundungan",
    "perkawinan_anak": "Perkawinan Anak",
}

PLACE_LABELS = {
    "rumah_tangga": "Rumah Tangga",
    "rumah": "Rumah Tangga",
    "sekolah": "Sekolah",
    "fasilitas_umum": "Fasilitas Umum",
    "tempat_kerja": "Tempat Kerja",
    "lainnya": "Lainnya",
}

RELATION_LABELS = {
    "orang_tua": "Orang Tua",
    "keluarga": "Keluarga/Saudara",
    "pasangan": "Suami/Istri",
    "suami_istri": "Suami/Istri",
    "pacar_teman": "Pacar/Teman",
    "tetangga": "Tetangga",
    "guru": "Guru",
    "majikan": "Majikan",
    "lainnya": "Lainnya",
    "tidak_tahu": "Tidak Diketahui",
}

SEX_LABELS = {
    "p": "Perempuan",
    "perempuan": "Perempuan",
    "f": "Perempuan",
    "l": "Laki-laki",
    "laki": "Laki-laki",
    "laki-laki": "Laki-laki",
    "laki_laki": "Laki-laki",
    "m": "Laki-laki",
    "tidak_tahu": "Tidak Diketahui",
    "unk": "Tidak Diketahui",
}

STATUS_LABELS = {
    "baru": "Baru",
    "ditugaskan": "Ditugaskan",
    "diterima": "Diterima",
    "ditangani": "Ditangani",
    "selesai": "Selesai",
    "ditutup": "Ditutup",
    "dirujuk": "Dirujuk",
    "dibatalkan": "Dibatalkan",
}

PRIORITY_LABELS = {"darurat": "Darurat", "biasa": "Biasa"}

ROLE_LABELS = {
    "kader": "Kader PATBM Kelurahan",
    "koordinator_kecamatan": "Koordinator Kecamatan",
    "dinas": "Dinas PPPA",
    "admin": "Administrator",
}

# The age groups in SIMFONI-PPA's order; stored as "0-5", "6-12", ... or "60+" ("unk": unknown).
AGE_GROUPS = ("0-5", "6-12", "13-17", "18-24", "25-44", "45-59", "60+")


def label(table: dict[str, str], code: str | None) -> str:
    if not code:
        return ""
    return table.get(code.strip().lower(), code)


def age_group_label(code: str | None) -> str:
    if not code:
        return ""
    if code == "unk":
        return "Tidak Diketahui"
    return f"{code} tahun" if code in AGE_GROUPS else code


def category_labels(codes: Iterable[str]) -> list[str]:
    seen: list[str] = []
    for code in codes:
        text = label(CATEGORY_LABELS, code)
        if text and text not in seen:
            seen.append(text)
    return seen
