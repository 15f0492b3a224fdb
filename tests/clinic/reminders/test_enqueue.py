"""enqueue: idempotent by dedupe key, bad input refused naming the field, cancel withdraws."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.orm import Session
from tests.clinic.conftest import count
from tests.clinic.factories import make_patient

from rhizo.clinic.core.common import InvalidInputError
from rhizo.clinic.core.outbox import service as outbox
from rhizo.clinic.core.outbox.addresses import email_problem, sms_problem
from rhizo.clinic.core.outbox.models import Channel, OutboxMessage, OutboxStatus
from rhizo.clinic.schedule import reminders

WHEN = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def _received(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "session": None,
        "channel": "email",
        "to": "ann.example@example.org",
        "template": reminders.REQUEST_RECEIVED,
        "context": {"recipient_name": "Ann", "reference": "R-1"},
        "send_after": WHEN,
        "dedupe_key": "request:1:received",
    }
    values.update(overrides)
    return values


def test_enqueue_is_idempotent_by_dedupe_key(session: Session) -> None:
    first = outbox.enqueue(**_received(session=session))
    again = outbox.enqueue(**_received(session=session, context={"recipient_name": "Other"}))
    session.commit()
    assert again.id == first.id
    assert first.status is OutboxStatus.QUEUED
    assert first.context == {"recipient_name": "Ann", "reference": "R-1"}
    assert first.next_attempt_at == WHEN
    assert count(session, OutboxMessage, OutboxMessage.dedupe_key == "request:1:received") == 1
    # The Message-ID's left part is SHA-256 of the dedupe key (hashlib, by hand).
    # python -c "import hashlib; print(hashlib.sha256(b'request:1:received').hexdigest()[:40])"
    assert first.message_key == "c42fb72c84c22e8122e21622a01808a8510e9674"


@pytest.mark.parametrize(
    ("field", "overrides", "rule"),
    [
        ("to", {"to": "ann@"}, "email_address"),
        ("to", {"to": "ann example@example.org"}, "email_address"),
        ("to", {"to": "ann@localhost"}, "email_address"),
        ("to", {"channel": "sms", "to": "0207 946 0000"}, "sms_address"),
        ("channel", {"channel": "fax"}, "enum"),
        ("template", {"template": "no_such"}, "known_template"),
        ("dedupe_key", {"dedupe_key": " "}, "length"),
        ("send_after", {"send_after": datetime(2026, 3, 2, 10, 0)}, "aware"),
        ("context.reference", {"context": {"reference": "x" * 41}}, "string_too_long"),
        ("context.colour", {"context": {"colour": "red"}}, "extra_forbidden"),
    ],
)
def test_enqueue_refuses_bad_input_naming_the_field(
    session: Session, field: str, overrides: dict[str, Any], rule: str
) -> None:
    with pytest.raises(InvalidInputError) as caught:
        outbox.enqueue(**_received(session=session, **overrides))
    problem = caught.value.problems[0]
    assert (problem.field, problem.rule) == (field, rule)
    assert field.split(".")[0] in str(caught.value)
    assert count(session, OutboxMessage) == 0


@pytest.mark.parametrize(
    ("address", "ok"),
    [
        ("a@b.co", True),
        ("first.last+tag@sub.example.org", True),
        ("o'brien@example.ie", True),
        (".ann@example.org", False),
        ("ann..b@example.org", False),
        ("ann@-example.org", False),
        ("ann@example.123", False),
        ("ann@[192.0.2.1]", False),
        ("\u00e4nn@example.org", False),
        ("a" * 65 + "@example.org", False),
        ("a@" + "b" * 64 + ".org", False),
    ],
)
def test_email_rule(address: str, ok: bool) -> None:
    assert (email_problem(address) is None) is ok


def test_sms_rule() -> None:
    assert sms_problem("+447700900123") is None
    assert sms_problem("+0447700900123") is not None
    assert sms_problem("+44 7700 900123") is not None
    assert sms_problem("+1234567") is not None


def test_cancel_withdraws_only_queued_messages_of_the_appointment(session: Session) -> None:
    patient = make_patient(session, email="ann.example@example.org")
    queued = outbox.enqueue(**_received(session=session, dedupe_key="k1", patient_id=patient.id))
    session.commit()
    # No appointment id on it: cancelling appointment 123456 leaves it.
    assert outbox.cancel(session=session, appointment_id=123456) == 0
    session.commit()
    session.refresh(queued)
    assert queued.status is OutboxStatus.QUEUED
    assert queued.channel is Channel.EMAIL
