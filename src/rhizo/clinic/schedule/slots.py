"""Slots: what a specialist's sessions offer on each date, minus exceptions and bookings.

A slot is derived, never stored. For a session (weekday ``w``, wall times
``start_local``-``end_local`` of its ``timezone``, ``slot_min`` minutes) and a
date ``d`` with ``d.weekday() == w`` inside ``valid_from..valid_until``, the
slots start at ``start_local + k * slot_min`` (k = 0, 1, ...) while they end by
``end_local``; each wall time is turned into an instant on ``d``'s own offset
(:func:`rhizo.clinic.schedule.clock.instant`), so a 09:00 session is at 09:00
local on both sides of a daylight-saving change.

**DST rule.** A slot is offered only when its wall-clock start and end both
exist on that date and the real time between them is ``slot_min``: on the
spring-forward day the slots touching the missing hour are skipped; on the
autumn day the repeated hour is offered once, at its first occurrence
(``fold=0``), and a slot that would straddle the end of the repeated hour
(lasting ``slot_min`` + 60 minutes of real time) is skipped.

A slot is **free** when no :class:`SessionException` overlaps it for its
specialist or its room, and no holding appointment's :class:`OccupiedBlock`
lies inside it for its specialist or its room (the patient's own clashes are
the booking's to refuse: a free slot is free for any patient).

Evidence: definitions (local protocol).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from rhizo.clinic.core.common import FieldProblem, InvalidInputError
from rhizo.clinic.schedule import clock
from rhizo.clinic.schedule.models import (
    BLOCK_MIN,
    AppointmentKind,
    AppointmentMode,
    ClinicSession,
    OccupiedBlock,
    Resource,
    SessionException,
)

#: How far :func:`next_free_slot` looks ahead by default (days).
NEXT_SLOT_HORIZON_DAYS = 366
#: The longest span :func:`free_slots` derives in one call (days).
MAX_SPAN_DAYS = 400
_BLOCK = timedelta(minutes=BLOCK_MIN)


@dataclass(frozen=True, order=True, slots=True)
class Slot:
    """One slot a session offers: an instant span, whose, where, what and how."""

    starts_at: datetime
    ends_at: datetime
    specialist_id: int
    room_id: int | None
    session_id: int
    kind: AppointmentKind
    mode: AppointmentMode


def blocks_of(starts_at: datetime, ends_at: datetime) -> list[datetime]:
    """The :data:`BLOCK_MIN`-minute block starts ``[starts_at, ends_at)`` covers."""
    out: list[datetime] = []
    moment = starts_at
    while moment < ends_at:
        out.append(moment)
        moment += _BLOCK
    return out


def session_slots(clinic_session: ClinicSession, day: date) -> list[Slot]:
    """Every slot ``clinic_session`` offers on ``day`` (its own zone's calendar date),
    bookings and exceptions ignored; none when ``day`` is not its weekday or outside
    its validity. The DST rule of the module docstring applies."""
    if day.weekday() != clinic_session.weekday or day < clinic_session.valid_from:
        return []
    if clinic_session.valid_until is not None and day > clinic_session.valid_until:
        return []
    zone = clock.zone_of(clinic_session.timezone)
    step = timedelta(minutes=clinic_session.slot_min)
    start_wall = datetime.combine(day, clinic_session.start_local)
    end_wall = datetime.combine(day, clinic_session.end_local)
    fast = _without_change(clinic_session, day, zone, end_wall - start_wall)
    if fast is not None:
        # no offset change inside the session that day: every slot is the first + k steps
        count = (end_wall - start_wall) // step
        who, room, row_id = clinic_session.specialist_id, clinic_session.room_id, clinic_session.id
        kind, mode = clinic_session.kind, clinic_session.mode
        return [
            Slot(fast + k * step, fast + (k + 1) * step, who, room, row_id, kind, mode)
            for k in range(count)
        ]
    out: list[Slot] = []
    wall = start_wall
    while wall + step <= end_wall:
        slot = _slot(clinic_session, day, wall.time(), (wall + step).time(), zone, step)
        if slot is not None:
            out.append(slot)
        wall += step
    return out


def _without_change(
    clinic_session: ClinicSession, day: date, zone: ZoneInfo, length: timedelta
) -> datetime | None:
    """The session's start instant on ``day`` when its start and end wall times exist and
    the real time between them equals the wall-clock length (no offset change inside:
    the same offset throughout, as offsets change at most once a day); else None."""
    try:
        start = clock.instant(day, clinic_session.start_local, zone)
        end = clock.instant(day, clinic_session.end_local, zone)
    except clock.NonexistentWallTimeError:
        return None
    if end - start != length or start.utcoffset() != end.utcoffset():
        return None
    if clock.local(start, zone).utcoffset() != clock.local(end, zone).utcoffset():
        return None
    return start


def _slot(
    clinic_session: ClinicSession,
    day: date,
    start: time,
    end: time,
    zone: ZoneInfo,
    step: timedelta,
) -> Slot | None:
    try:
        starts_at = clock.instant(day, start, zone)
        ends_at = clock.instant(day, end, zone)
    except clock.NonexistentWallTimeError:
        return None
    if ends_at - starts_at != step:
        return None
    return Slot(
        starts_at=starts_at,
        ends_at=ends_at,
        specialist_id=clinic_session.specialist_id,
        room_id=clinic_session.room_id,
        session_id=clinic_session.id,
        kind=clinic_session.kind,
        mode=clinic_session.mode,
    )


def _check_span(start: datetime, end: datetime) -> None:
    problems: list[FieldProblem] = []
    for name, value in (("start", start), ("end", end)):
        if value.tzinfo is None or value.utcoffset() is None:
            problems.append(
                FieldProblem(name, value.isoformat(), "timezone_required", "give a time zone")
            )
    if not problems and end <= start:
        problems.append(
            FieldProblem("end", end.isoformat(), "after_start", "end must be after start")
        )
    if not problems and end - start > timedelta(days=MAX_SPAN_DAYS):
        problems.append(
            FieldProblem(
                "end",
                end.isoformat(),
                "span_too_long",
                f"ask for at most {MAX_SPAN_DAYS} days of slots at once",
            )
        )
    if problems:
        raise InvalidInputError(problems)


def sessions_for(
    *,
    session: Session,
    kind: AppointmentKind | None,
    first_day: date,
    last_day: date,
    specialist_id: int | None = None,
    mode: AppointmentMode | None = None,
) -> Sequence[ClinicSession]:
    """Active sessions (of ``kind``, ``mode``, ``specialist_id`` when given) valid on some
    day of ``first_day..last_day``."""
    query = sa.select(ClinicSession).where(
        ClinicSession.active.is_(True),
        ClinicSession.valid_from <= last_day,
        sa.or_(ClinicSession.valid_until.is_(None), ClinicSession.valid_until >= first_day),
    )
    if kind is not None:
        query = query.where(ClinicSession.kind == kind)
    if specialist_id is not None:
        query = query.where(ClinicSession.specialist_id == specialist_id)
    if mode is not None:
        query = query.where(ClinicSession.mode == mode)
    return session.scalars(query.order_by(ClinicSession.id)).all()


def offered_slots(
    *,
    session: Session,
    kind: AppointmentKind | None,
    start: datetime,
    end: datetime,
    specialist_id: int | None = None,
    mode: AppointmentMode | None = None,
) -> list[Slot]:
    """The slots sessions offer starting in ``[start, end)``, exceptions removed,
    bookings ignored; sorted by start, then specialist."""
    _check_span(start, end)
    rows = sessions_for(
        session=session,
        kind=kind,
        first_day=start.date() - timedelta(days=1),
        last_day=end.date() + timedelta(days=1),
        specialist_id=specialist_id,
        mode=mode,
    )
    return _offered(session, rows, start, end)


def _by_start(slot: Slot) -> tuple[datetime, int, int]:
    return slot.starts_at, slot.specialist_id, slot.session_id


def _offered(
    session: Session, rows: Sequence[ClinicSession], start: datetime, end: datetime
) -> list[Slot]:
    if not rows:
        return []
    slots: list[Slot] = []
    for row in rows:
        zone = clock.zone_of(row.timezone)
        day = clock.local(start, zone).date()
        last = clock.local(end, zone).date()
        # the first date of the session's weekday on or after ``day``
        day += timedelta(days=(row.weekday - day.weekday()) % 7)
        while day <= last:
            slots.extend(s for s in session_slots(row, day) if start <= s.starts_at < end)
            day += timedelta(days=7)
    if not slots:
        return []
    exceptions = _exceptions(session, slots, start, end)
    kept = [s for s in slots if not _excepted(s, exceptions)] if exceptions else slots
    kept.sort(key=_by_start)
    return kept


def _exceptions(
    session: Session, slots: Iterable[Slot], start: datetime, end: datetime
) -> list[SessionException]:
    specialists = {s.specialist_id for s in slots}
    rooms = {s.room_id for s in slots if s.room_id is not None}
    latest_end = max((s.ends_at for s in slots), default=end)
    owner: sa.ColumnElement[bool] = SessionException.specialist_id.in_(specialists)
    if rooms:
        owner = sa.or_(owner, SessionException.room_id.in_(rooms))
    query = sa.select(SessionException).where(
        SessionException.starts_at < latest_end, SessionException.ends_at > start, owner
    )
    return list(session.scalars(query))


def _excepted(slot: Slot, exceptions: Iterable[SessionException]) -> bool:
    for row in exceptions:
        if row.starts_at >= slot.ends_at or row.ends_at <= slot.starts_at:
            continue
        if row.specialist_id is not None and row.specialist_id == slot.specialist_id:
            return True
        if row.room_id is not None and row.room_id == slot.room_id:
            return True
    return False


def occupied(
    *,
    session: Session,
    resources: Iterable[tuple[Resource, int]],
    start: datetime,
    end: datetime,
) -> set[tuple[Resource, int, datetime]]:
    """The held blocks ``(resource, id, block_start)`` of ``resources`` in ``[start, end)``."""
    wanted: dict[Resource, set[int]] = {}
    for resource, resource_id in resources:
        wanted.setdefault(resource, set()).add(resource_id)
    if not wanted:
        return set()
    owner = sa.or_(
        *(
            sa.and_(OccupiedBlock.resource == resource, OccupiedBlock.resource_id.in_(ids))
            for resource, ids in wanted.items()
        )
    )
    query = sa.select(
        OccupiedBlock.resource, OccupiedBlock.resource_id, OccupiedBlock.block_start
    ).where(OccupiedBlock.block_start >= start, OccupiedBlock.block_start < end, owner)
    return {(Resource(r), int(i), b) for r, i, b in session.execute(query)}


def _free(slot: Slot, held: set[tuple[Resource, int, datetime]]) -> bool:
    for block in blocks_of(slot.starts_at, slot.ends_at):
        if (Resource.SPECIALIST, slot.specialist_id, block) in held:
            return False
        if slot.room_id is not None and (Resource.ROOM, slot.room_id, block) in held:
            return False
    return True


def free_slots(
    *,
    session: Session,
    kind: AppointmentKind,
    start: datetime,
    end: datetime,
    specialist_id: int | None = None,
    mode: AppointmentMode | None = None,
) -> list[Slot]:
    """The free slots of ``kind`` starting in ``[start, end)`` (aware instants), sorted by
    start then specialist: offered by an active session, not in an exception, and
    neither the specialist nor the room held by a booked appointment. 422 when a bound
    has no zone, ``end <= start`` or the span exceeds :data:`MAX_SPAN_DAYS`."""
    return _unheld(
        session,
        offered_slots(
            session=session,
            kind=kind,
            start=start,
            end=end,
            specialist_id=specialist_id,
            mode=mode,
        ),
    )


def _unheld(session: Session, offered: list[Slot]) -> list[Slot]:
    if not offered:
        return []
    held = occupied(
        session=session,
        resources=_resources_of(offered),
        start=offered[0].starts_at,
        end=max(s.ends_at for s in offered),
    )
    return [s for s in offered if _free(s, held)] if held else offered


#: :func:`next_free_slot` reads the blocks of this many hours of slots at a time.
BATCH = timedelta(hours=2)


def _first_unheld(session: Session, offered: list[Slot]) -> Slot | None:
    """The earliest of ``offered`` (sorted) that no block holds, reading the blocks
    :data:`BATCH` hours of slots at a time (a busy day's first free slot needs only
    its first hours' blocks)."""
    index = 0
    while index < len(offered):
        cut = offered[index].starts_at + BATCH
        batch = []
        while index < len(offered) and offered[index].starts_at < cut:
            batch.append(offered[index])
            index += 1
        held = occupied(
            session=session,
            resources=_resources_of(batch),
            start=batch[0].starts_at,
            end=max(s.ends_at for s in batch),
        )
        first = next((s for s in batch if _free(s, held)), None)
        if first is not None:
            return first
    return None


def _resources_of(offered: Iterable[Slot]) -> set[tuple[Resource, int]]:
    resources: set[tuple[Resource, int]] = set()
    for s in offered:
        resources.add((Resource.SPECIALIST, s.specialist_id))
        if s.room_id is not None:
            resources.add((Resource.ROOM, s.room_id))
    return resources


#: :func:`next_free_slot` looks one day at a time for this many days, then a week at a time.
DAY_BY_DAY = 14


def next_free_slot(
    *,
    session: Session,
    kind: AppointmentKind,
    after: datetime,
    specialist_id: int | None = None,
    mode: AppointmentMode | None = None,
    horizon_days: int = NEXT_SLOT_HORIZON_DAYS,
) -> Slot | None:
    """The earliest free slot of ``kind`` starting at or after ``after`` within
    ``horizon_days``, or None. The sessions are read once; the days are then searched
    one at a time (a week at a time after :data:`DAY_BY_DAY` days), so a busy clinic
    answers from the first day that has a free slot."""
    if after.tzinfo is None or after.utcoffset() is None:
        raise InvalidInputError(
            [FieldProblem("after", after.isoformat(), "timezone_required", "give a time zone")]
        )
    limit = after + timedelta(days=horizon_days)
    rows = sessions_for(
        session=session,
        kind=kind,
        first_day=after.date() - timedelta(days=1),
        last_day=limit.date() + timedelta(days=1),
        specialist_id=specialist_id,
        mode=mode,
    )
    if not rows:
        return None
    window_start, searched = after, 0
    while window_start < limit:
        span = timedelta(days=1 if searched < DAY_BY_DAY else 7)
        window_end = min(window_start + span, limit)
        offered = _offered(session, rows, window_start, window_end)
        first = _first_unheld(session, offered)
        if first is not None:
            return first
        window_start, searched = window_end, searched + span.days
    return None
