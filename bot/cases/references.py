"""Case references and PINs: unguessable, unambiguous when read aloud or typed on a phone."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

# No 0/O, 1/I/L, no U/V confusion: what a person can read back over the phone.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTWXYZ"
_REF_RE = re.compile(r"^([A-Z]{2,5})-([" + ALPHABET + r"]{4})-([" + ALPHABET + r"]{2})$")


def make_reference(prefix: str) -> str:
    """E.g. JMB-7Q4K-2M: 29**6, about 594 million per prefix; uniqueness is enforced by the DB."""
    body = "".join(secrets.choice(ALPHABET) for _ in range(6))
    return f"{prefix}-{body[:4]}-{body[4:]}"


def normalise_reference(text: str) -> str | None:
    """Accepts what people type: lower case, spaces or no dashes, O for 0 and I for 1."""
    cleaned = re.sub(r"[\s\-_.]", "", text.upper())
    cleaned = cleaned.replace("0", "O").replace("1", "I")
    match = re.match(r"^([A-Z]{2,5})([A-Z0-9]{6})$", cleaned)
    if not match:
        return None
    prefix, body = match.groups()
    body = body.replace("O", "0").replace("I", "1")
    candidate = f"{prefix}-{body[:4]}-{body[4:]}"
    return candidate if _REF_RE.match(candidate) else None


def make_pin() -> str:
    return f"{secrets.randbelow(1_000_000):06d}"


def hash_pin(reference: str, pin: str) -> str:
    salt = hashlib.sha256(reference.encode()).digest()[:16]
    digest = hashlib.pbkdf2_hmac("sha256", pin.encode(), salt, 20_000)
    return digest.hex()


def check_pin(reference: str, pin: str, pin_hash: str) -> bool:
    return hmac.compare_digest(hash_pin(reference, pin.strip()), pin_hash)


def prefix_for(area_name: str) -> str:
    """A short prefix from the kota/kabupaten name: Kota Jambi -> JMB."""
    words = [
        w for w in re.split(r"\s+", area_name.upper()) if w not in {"KOTA", "KABUPATEN", "KAB."}
    ]
    name = "".join(ch for ch in "".join(words) if ch.isalpha()) or "PTB"
    consonants = name[0] + "".join(ch for ch in name[1:] if ch not in "AEIOU")
    prefix = (consonants if len(consonants) >= 3 else name)[:3]
    return prefix.ljust(3, "X")
