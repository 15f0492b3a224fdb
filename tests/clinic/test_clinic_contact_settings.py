"""RHIZO_CLINIC_NAME / _PHONE / _HOURS: the clinic a patient is told to call (issue 16).

The phone rule: an optional "+", then digits with spaces, "( ) - ."; 3 to 15
digits (ITU-T E.164 caps an international number at 15 digits; 3 admits short
codes). The tel: link keeps only "+" and digits (RFC 3966, global number).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from rhizo.clinic.core.config import PHONE_DIGITS_MAX, PHONE_DIGITS_MIN, Settings
from rhizo.clinic.demo.setup import DEMO_CONTACT, prepare
from rhizo.clinic.web.clinic_contact import FALLBACK_TEXT, contact_from


def _settings(**values: object) -> Settings:
    return Settings(env="test", secret_key=SecretStr("k" * 16 + "abcdefgh" * 3), **values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("phone", "ok"),
    [
        ("1" * (PHONE_DIGITS_MIN - 1), False),  # 2 digits: just below
        ("1" * PHONE_DIGITS_MIN, True),  # 3 digits: at the lower bound
        ("+" + "4" * PHONE_DIGITS_MAX, True),  # 15 digits: at E.164's limit
        ("+" + "4" * (PHONE_DIGITS_MAX + 1), False),  # 16 digits: just above
        ("+44 (20) 7946-0000", True),
        ("555.0100", True),
        ("call 555 0100", False),  # letters
        ("++15550100", False),
        ("(555) 0100", False),  # must start with + or a digit
    ],
)
def test_phone_numbers_a_person_can_dial(phone: str, ok: bool) -> None:
    if ok:
        assert _settings(clinic_phone=phone).clinic_phone == phone
    else:
        with pytest.raises(ValidationError, match="RHIZO_CLINIC_PHONE"):
            _settings(clinic_phone=phone)


def test_environment_variables_and_blank_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RHIZO_CLINIC_NAME", "Riverside Spine Clinic")
    monkeypatch.setenv("RHIZO_CLINIC_PHONE", " +1 555 010 0199 ")
    monkeypatch.setenv("RHIZO_CLINIC_HOURS", "")
    settings = _settings()
    assert settings.clinic_name == "Riverside Spine Clinic"
    assert settings.clinic_phone == "+1 555 010 0199"  # stripped
    assert settings.clinic_hours is None  # blank means unset
    contact = contact_from(settings)
    assert contact.tel_href == "tel:+15550100199"


def test_unset_phone_gives_the_fallback_not_call_us() -> None:
    contact = contact_from(_settings())
    assert contact.phone is None
    assert contact.tel_href is None
    assert contact.fallback == FALLBACK_TEXT
    assert "clinic that treated you" in FALLBACK_TEXT


def test_the_demo_shows_a_fictional_clinic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RHIZO_CLINIC_NAME", raising=False)
    monkeypatch.delenv("RHIZO_CLINIC_PHONE", raising=False)
    monkeypatch.setenv("RHIZO_CLINIC_HOURS", "")  # a blank variable: unset, not the demo's
    demo = prepare(url=f"sqlite:///{tmp_path / 'demo.sqlite3'}", patients=1)
    assert demo.settings.clinic_name == DEMO_CONTACT["clinic_name"]
    # 555-0100 to 555-0199: the North American numbers reserved for fiction.
    assert demo.settings.clinic_phone == "+1 555 010 0100"
    assert contact_from(demo.settings).tel_href == "tel:+15550100100"
    assert demo.settings.clinic_hours is None
