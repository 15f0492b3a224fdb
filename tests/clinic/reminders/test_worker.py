"""The worker against a local SMTP server: send, record, retry with backoff, fail, reclaim
after a crash; each message arrives exactly once (by Message-ID) after a worker dies."""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker
from tests.clinic.factories import make_patient
from tests.clinic.reminders.smtp_sink import Sink, smtp_sink

from rhizo.clinic.core import migrate
from rhizo.clinic.core.clinic_settings.service import Contact
from rhizo.clinic.core.database import create_db_engine, create_session_factory
from rhizo.clinic.core.outbox import service as outbox
from rhizo.clinic.core.outbox.models import (
    Channel,
    OutboxMessage,
    OutboxSendRecord,
    OutboxStatus,
    SendOutcome,
)
from rhizo.clinic.core.outbox.settings import OutboxSettings
from rhizo.clinic.core.outbox.transports import OutgoingMessage, SendReply, SMTPTransport
from rhizo.clinic.core.outbox.worker import Worker
from rhizo.clinic.schedule import reminders

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
CONTACT = Contact(name="Riverside Pain Clinic", phone="+44 20 7946 0000", hours=None)


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("outbox") / "template.sqlite3"
    migrate.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def factory(migrated: Path, tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    path = tmp_path / "outbox.sqlite3"
    shutil.copy(migrated, path)
    engine = create_db_engine(f"sqlite:///{path}")
    yield create_session_factory(engine)
    engine.dispose()


@pytest.fixture
def sink() -> Iterator[tuple[Sink, int]]:
    with smtp_sink() as running:
        yield running


def settings_for(port: int, **overrides: object) -> OutboxSettings:
    values: dict[str, object] = {
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        "smtp_from": "clinic@riverside.example.org",
        "outbox_max_attempts": 3,
        "outbox_backoff_s": 60,
        "outbox_lease_s": 300,
    }
    values.update(overrides)
    return OutboxSettings(**values)  # type: ignore[arg-type]


def queue(factory: sessionmaker[Session], n: int, to: str = "ann.example@example.org") -> list[int]:
    with factory() as session:
        patient = make_patient(session, email=to)
        ids = []
        for i in range(n):
            message = outbox.enqueue(
                session=session,
                channel=Channel.EMAIL,
                to=to,
                template=reminders.REQUEST_RECEIVED,
                context={"recipient_name": "Ann", "reference": f"R-{i}"},
                send_after=T0,
                dedupe_key=f"test:{to}:{i}",
                patient_id=patient.id,
            )
            ids.append(message)
        session.commit()
        return [m.id for m in ids]


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def make_worker(
    factory: sessionmaker[Session], settings: OutboxSettings, clock: Clock, transport: object = None
) -> Worker:
    return Worker(
        session_factory=factory,
        transports={Channel.EMAIL: transport or SMTPTransport(settings)},  # type: ignore[dict-item]
        settings=settings,
        contact=lambda _session: CONTACT,
        zone=ZoneInfo("Europe/London"),
        worker_id="test-worker",
        clock=clock,
    )


def test_sends_records_and_audits(factory: sessionmaker[Session], sink: tuple[Sink, int]) -> None:
    server, port = sink
    ids = queue(factory, 3)
    clock = Clock(T0)
    summary = make_worker(factory, settings_for(port), clock).run_until_empty(batch=2)
    assert summary.as_dict() == {"claimed": 3, "sent": 3, "retried": 0, "failed": 0, "abandoned": 0}
    assert len(server.received) == 3
    first = server.received[0]
    assert first["Subject"] == "Your request to Riverside Pain Clinic"
    assert first["From"] == "clinic@riverside.example.org"
    with factory() as session:
        rows = {m.id: m for m in session.scalars(sa.select(OutboxMessage))}
        assert all(rows[i].status is OutboxStatus.SENT for i in ids)
        assert rows[ids[0]].sent_at == T0
        assert rows[ids[0]].body is not None
        assert "+44 20 7946 0000" in rows[ids[0]].body
        assert first["Message-ID"] == f"<{rows[ids[0]].message_key}@riverside.example.org>"
        records = session.scalars(sa.select(OutboxSendRecord)).all()
        assert [(r.outcome, r.reply_code, r.reply) for r in records] == [
            (SendOutcome.SENT, 250, "OK queued")
        ] * 3
        audited = session.execute(
            sa.text("SELECT count(*) FROM audit_event WHERE entity_type = 'outbox_message'")
        ).scalar()
        assert audited == 3


def test_not_before_send_after(factory: sessionmaker[Session], sink: tuple[Sink, int]) -> None:
    server, port = sink
    queue(factory, 1)
    summary = make_worker(factory, settings_for(port), Clock(T0 - timedelta(seconds=1))).run_once()
    assert summary.claimed == 0
    assert server.received == []


def test_server_down_retries_with_backoff_then_fails(factory: sessionmaker[Session]) -> None:
    from tests.clinic.reminders.smtp_sink import free_port

    port = free_port()  # nothing listens there
    (message_id,) = queue(factory, 1)
    clock = Clock(T0)
    worker = make_worker(factory, settings_for(port), clock)
    expected_next = [T0 + timedelta(seconds=60), None, None]
    assert worker.run_once().retried == 1
    with factory() as session:
        message = session.get(OutboxMessage, message_id)
        assert message is not None
        assert (message.status, message.attempts) == (OutboxStatus.QUEUED, 1)
        assert message.next_attempt_at == expected_next[0]
    # Not due yet 59 s later; due at 60 s; the second delay is 120 s (60 * 2**1).
    clock.now = T0 + timedelta(seconds=59)
    assert worker.run_once().claimed == 0
    clock.now = T0 + timedelta(seconds=60)
    assert worker.run_once().retried == 1
    with factory() as session:
        message = session.get(OutboxMessage, message_id)
        assert message is not None
        assert message.next_attempt_at == clock.now + timedelta(seconds=120)
    clock.now += timedelta(seconds=120)
    assert worker.run_once().failed == 1  # the third attempt of three
    with factory() as session:
        message = session.get(OutboxMessage, message_id)
        assert message is not None
        assert message.status is OutboxStatus.FAILED
        assert "cannot reach" in (message.last_error or "")
        outcomes = [
            r.outcome
            for r in session.scalars(sa.select(OutboxSendRecord).order_by(OutboxSendRecord.id))
        ]
        assert outcomes == [SendOutcome.RETRY, SendOutcome.RETRY, SendOutcome.FAILED]


def test_refused_recipient_fails_at_once_with_the_reply(
    factory: sessionmaker[Session], sink: tuple[Sink, int]
) -> None:
    server, port = sink
    server.refuse["gone@example.org"] = "550 5.1.1 no such user"
    (bad,) = queue(factory, 1, to="gone@example.org")
    (good,) = queue(factory, 1, to="ann.example@example.org")
    summary = make_worker(factory, settings_for(port), Clock(T0)).run_until_empty()
    assert (summary.sent, summary.failed, summary.retried) == (1, 1, 0)
    with factory() as session:
        message = session.get(OutboxMessage, bad)
        assert message is not None
        assert message.status is OutboxStatus.FAILED
        record = session.scalars(
            sa.select(OutboxSendRecord).where(OutboxSendRecord.message_id == bad)
        ).one()
        assert record.reply_code == 550
        assert "no such user" in (record.reply or "")
        sent = session.get(OutboxMessage, good)
        assert sent is not None
        assert sent.status is OutboxStatus.SENT


class DiesAfter:
    """An SMTP transport whose process 'dies' (SystemExit, not caught by the worker) after
    ``k`` messages were accepted: before the next send, or (``in_window``) right after
    the server's 250 for message k+1, before the worker records it."""

    def __init__(self, inner: SMTPTransport, k: int, *, in_window: bool = False) -> None:
        self.inner = inner
        self.k = k
        self.in_window = in_window
        self.count = 0

    def open(self) -> None:
        self.inner.open()

    def close(self) -> None:
        self.inner.close()

    def send(self, message: OutgoingMessage) -> SendReply:
        if self.count == self.k and not self.in_window:
            raise SystemExit("killed before send")
        reply = self.inner.send(message)
        self.count += 1
        if self.count == self.k + 1 and self.in_window:
            raise SystemExit("killed after the 250, before the commit")
        return reply


def test_killed_mid_batch_each_message_arrives_exactly_once(
    factory: sessionmaker[Session], sink: tuple[Sink, int]
) -> None:
    server, port = sink
    ids = queue(factory, 10)
    settings = settings_for(port)
    clock = Clock(T0)
    dying = make_worker(factory, settings, clock, DiesAfter(SMTPTransport(settings), 4))
    with pytest.raises(SystemExit):
        dying.run_once(batch=10)
    assert len(server.received) == 4
    with factory() as session:
        statuses = Counter(m.status for m in session.scalars(sa.select(OutboxMessage)))
    assert statuses == {OutboxStatus.SENT: 4, OutboxStatus.SENDING: 6}
    # A new worker before the lease runs out leaves the dead worker's claims alone ...
    restarted = make_worker(factory, settings, clock)
    restarted.worker_id = "second"
    clock.now = T0 + timedelta(seconds=299)
    assert restarted.run_until_empty().claimed == 0
    # ... and takes them once it has.
    clock.now = T0 + timedelta(seconds=301)
    summary = restarted.run_until_empty()
    assert (summary.claimed, summary.sent, summary.abandoned) == (6, 6, 6)
    arrived = Counter(server.message_ids())
    assert len(arrived) == 10
    assert set(arrived.values()) == {1}
    with factory() as session:
        keys = {
            f"<{m.message_key}@riverside.example.org>"
            for m in session.scalars(sa.select(OutboxMessage))
        }
        assert set(arrived) == keys
        assert all(
            m.status is OutboxStatus.SENT and m.attempts in (1, 2)
            for m in session.scalars(sa.select(OutboxMessage).where(OutboxMessage.id.in_(ids)))
        )


def test_killed_in_the_window_resends_one_message_with_the_same_message_id(
    factory: sessionmaker[Session], sink: tuple[Sink, int]
) -> None:
    """The stated limit of the guarantee: a death between the 250 and the commit."""
    server, port = sink
    queue(factory, 5)
    settings = settings_for(port)
    clock = Clock(T0)
    dying = make_worker(
        factory, settings, clock, DiesAfter(SMTPTransport(settings), 2, in_window=True)
    )
    with pytest.raises(SystemExit):
        dying.run_once(batch=5)
    clock.now = T0 + timedelta(seconds=301)
    make_worker(factory, settings, clock).run_until_empty()
    arrived = Counter(server.message_ids())
    assert len(arrived) == 5
    assert sorted(arrived.values()) == [1, 1, 1, 1, 2]  # the third message, twice, same id


def test_booked_email_carries_the_ics(
    factory: sessionmaker[Session], sink: tuple[Sink, int]
) -> None:
    server, port = sink
    with factory() as session:
        outbox.enqueue(
            session=session,
            channel="email",
            to="ann.example@example.org",
            template=reminders.APPOINTMENT_BOOKED,
            context={
                "appointment_id": 42,
                "kind": "consultation",
                "mode": "in_person",
                "starts_at": "2026-06-01T09:00:00+00:00",
                "ends_at": "2026-06-01T09:30:00+00:00",
                "specialist_name": "Dr A. Rivera",
                "room_name": "Room 2",
                "timezone": "Europe/London",
            },
            send_after=T0,
            dedupe_key="appointment:42:appointment_booked",
        )
        session.commit()
    make_worker(factory, settings_for(port), Clock(T0)).run_until_empty()
    with factory() as session:
        assert [m.last_error for m in session.scalars(sa.select(OutboxMessage))] == [None]
    (received,) = server.received
    parts = [p for p in received.walk() if p.get_content_type() == "text/calendar"]
    assert len(parts) == 1
    assert parts[0].get_param("method") == "PUBLISH"
    payload = parts[0].get_payload(decode=True)
    assert isinstance(payload, bytes)
    event = icalendar.Calendar.from_ical(payload).walk("VEVENT")[0]
    assert str(event["UID"]) == "appointment-42@rhizo.invalid"
    assert str(event["LOCATION"]) == "Room 2, Riverside Pain Clinic"


KILLED_WORKER = """
import os, signal, sys
from zoneinfo import ZoneInfo
from datetime import datetime, UTC
from rhizo.clinic.core.clinic_settings.service import Contact
from rhizo.clinic.core.database import create_db_engine, create_session_factory
from rhizo.clinic.core.outbox.models import Channel
from rhizo.clinic.core.outbox.settings import OutboxSettings
from rhizo.clinic.core.outbox.transports import SMTPTransport
from rhizo.clinic.core.outbox.worker import Worker
from rhizo.clinic.schedule import reminders  # registers the templates

url, port, k = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
settings = OutboxSettings(smtp_host="127.0.0.1", smtp_port=port,
                          smtp_from="clinic@riverside.example.org")
inner = SMTPTransport(settings)
sent = 0

class KillAfter:
    def open(self): inner.open()
    def close(self): inner.close()
    def send(self, message):
        global sent
        if sent == k:
            os.kill(os.getpid(), signal.SIGKILL)  # no cleanup, no rollback, socket torn
        reply = inner.send(message)
        sent += 1
        return reply

Worker(session_factory=create_session_factory(create_db_engine(url)),
       transports={Channel.EMAIL: KillAfter()}, settings=settings,
       contact=lambda s: Contact("Riverside Pain Clinic", "+44 20 7946 0000", None),
       zone=ZoneInfo("UTC"), worker_id="doomed",
       clock=lambda: datetime(2026, 3, 2, 8, 0, tzinfo=UTC)).run_once(batch=20)
"""


def test_sigkilled_worker_process_then_restart_delivers_each_once(
    factory: sessionmaker[Session], sink: tuple[Sink, int]
) -> None:
    """A real process killed with SIGKILL mid-batch (after 3 of 8 were accepted); a new
    worker after the lease sends the other 5; every Message-ID arrives exactly once."""
    import signal
    import subprocess
    import sys

    server, port = sink
    queue(factory, 8)
    url = str(factory.kw["bind"].url)
    done = subprocess.run(
        [sys.executable, "-c", KILLED_WORKER, url, str(port), "3"],
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == -signal.SIGKILL, done.stderr.decode()[-2000:]
    assert len(server.received) == 3
    settings = settings_for(port)
    summary = make_worker(factory, settings, Clock(T0 + timedelta(seconds=301))).run_until_empty()
    assert (summary.sent, summary.abandoned) == (5, 5)
    arrived = Counter(server.message_ids())
    assert len(arrived) == 8
    assert set(arrived.values()) == {1}
