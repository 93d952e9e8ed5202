"""The limits on evidence files, stated once: what the resident is told and what is enforced.

10 MB a file keeps a case's files sendable on both channels (Telegram bots upload up to 50 MB
and download up to 20 MB; WhatsApp takes 16 MB of audio or video) and a database row small
enough to encrypt in memory; 5 files a case is more than a report needs and bounds a case's
storage at 50 MB.
"""

from __future__ import annotations

MAX_FILES = 5
MAX_BYTES = 10 * 1024 * 1024
MAX_CAPTION = 1000
EVIDENCE_KINDS = frozenset({"photo", "voice", "audio", "video", "document"})


def megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.0f} MB"
