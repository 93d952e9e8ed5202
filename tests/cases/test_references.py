from hypothesis import given
from hypothesis import strategies as st

from bot.cases.references import (
    ALPHABET,
    check_pin,
    hash_pin,
    make_pin,
    make_reference,
    normalise_reference,
    prefix_for,
)


def test_reference_shape_and_alphabet() -> None:
    refs = {make_reference("JMB") for _ in range(2000)}
    assert len(refs) == 2000
    for ref in refs:
        prefix, a, b = ref.split("-")
        assert prefix == "JMB" and len(a) == 4 and len(b) == 2
        assert all(ch in ALPHABET for ch in a + b)
        assert not set(a + b) & set("01OIL")


@given(st.sampled_from(sorted({make_reference("JMB") for _ in range(50)})))
def test_typed_variants_normalise(ref: str) -> None:
    assert normalise_reference(ref.lower()) == ref
    assert normalise_reference(ref.replace("-", " ")) == ref
    assert normalise_reference(ref.replace("-", "")) == ref


def test_garbage_is_not_a_reference() -> None:
    for text in ("", "hello", "JMB-1234", "JMB-OOOO-OO-99", "ini laporan saya"):
        assert normalise_reference(text) is None


def test_pin() -> None:
    pin = make_pin()
    assert len(pin) == 6 and pin.isdigit()
    stored = hash_pin("JMB-7Q4K-2M", pin)
    assert check_pin("JMB-7Q4K-2M", pin, stored)
    assert not check_pin("JMB-7Q4K-2M", "000000" if pin != "000000" else "111111", stored)
    assert not check_pin("JMB-7Q4K-2N", pin, stored)


def test_prefixes() -> None:
    assert prefix_for("Kota Jambi") == "JMB"
    assert len(prefix_for("Kabupaten Buleleng")) == 3
    assert prefix_for("Kota Balikpapan").isalpha()
