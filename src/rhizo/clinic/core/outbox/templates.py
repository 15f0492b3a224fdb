"""Message templates by name: what the outbox knows of a message's wording.

The outbox stores a template *name* and its *context* (the caller's data,
validated and made JSON-safe at enqueue) and renders subject, text and an
optional .ics attachment when it sends, with the clinic's contact at that time
(:func:`rhizo.clinic.core.clinic_settings.service.effective`). Core imports no
domain, so the templates register themselves here: the reminders module
(:mod:`rhizo.clinic.schedule.reminders`) calls :func:`register` for each of
its templates when it is imported, and whoever enqueues or sends imports it
(the CLI worker, the booking effects, the intake service do).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any, Protocol

from sqlalchemy.orm import Session

from rhizo.clinic.core.clinic_settings.service import Contact
from rhizo.clinic.core.common import FieldProblem, InvalidInputError


@dataclass(frozen=True)
class Rendered:
    """A message ready to send: its subject (e-mail only), plain text, optional .ics."""

    subject: str
    text: str
    ics: str | None = None


class MessageTemplate(Protocol):
    """One kind of message.

    ``validate`` checks the caller's context and returns it JSON-safe (raising
    :class:`InvalidInputError` naming the field); ``render`` turns a validated
    context into the words sent, with the clinic's contact and the clinic's time
    zone (``RHIZO_CLINIC_TIMEZONE``: times a context gives without its own zone
    are shown on it).
    """

    @property
    def name(self) -> str: ...

    def validate(self, context: Mapping[str, Any]) -> dict[str, Any]: ...

    def render(
        self, *, session: Session, context: Mapping[str, Any], contact: Contact, zone: tzinfo
    ) -> Rendered: ...


_REGISTRY: dict[str, MessageTemplate] = {}


def register(template: MessageTemplate) -> MessageTemplate:
    """Add ``template`` under its name (registering the same object again is a no-op)."""
    known = _REGISTRY.get(template.name)
    if known is not None and known is not template:
        raise ValueError(f"a different template is already registered as {template.name!r}")
    _REGISTRY[template.name] = template
    return template


def names() -> list[str]:
    """The registered template names, sorted."""
    return sorted(_REGISTRY)


def get(name: str, *, field: str = "template") -> MessageTemplate:
    """The template called ``name``, or :class:`InvalidInputError` listing the known ones."""
    template = _REGISTRY.get(name)
    if template is None:
        known = ", ".join(names()) or "none registered (import rhizo.clinic.schedule.reminders)"
        raise InvalidInputError(
            [
                FieldProblem(
                    field, name, "known_template", f"{field} {name!r} is unknown; known: {known}"
                )
            ]
        )
    return template
