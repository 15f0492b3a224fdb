"""Recipient addresses: an e-mail address or an SMS number, checked before anything is queued.

E-mail (the project has no ``email-validator`` dependency, so the common subset is
checked here, strictly): ``local@domain`` where

* the local part is a dot-atom (RFC 5322 section 3.4.1 and 3.2.3: ``atext``
  characters ``A-Z a-z 0-9 ! # $ % & ' * + - / = ? ^ _ ` { | } ~``, dots only
  between them; quoted local parts are refused) of at most 64 octets
  (RFC 5321 section 4.5.3.1.1);
* the domain is at least two DNS labels (letters, digits, hyphens, not at either
  end, 1-63 octets each; RFC 1035 section 2.3.1, RFC 5321 section 4.5.3.1.2),
  the last not all digits; IP literals are refused;
* the whole address is at most 254 octets (RFC 5321's 256-octet path less the
  angle brackets; RFC 3696 erratum 1690).

Internationalised addresses (RFC 6531) are refused: the SMTP transport does not
negotiate SMTPUTF8. SMS: an E.164 number (ITU-T E.164: ``+``, a country code not
starting with 0, at most 15 digits in all; at least 8 here, shorter numbers are
short codes, not a patient's phone).

Evidence: primary (the RFC texts named; rules as written there, the subset is
this module's choice).
"""

from __future__ import annotations

import re

from rhizo.clinic.core.common import FieldProblem, InvalidInputError
from rhizo.clinic.core.outbox.models import Channel

LOCAL_MAX_OCTETS = 64
ADDRESS_MAX_OCTETS = 254
LABEL_MAX_OCTETS = 63
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LOCAL = re.compile(rf"{_ATEXT}(?:\.{_ATEXT})*")
_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?")
_E164 = re.compile(r"\+[1-9][0-9]{7,14}")


def email_problem(value: str) -> str | None:
    """Why ``value`` is not an e-mail address rhizo sends to, or None when it is one."""
    if not value.isascii():
        return "has characters outside ASCII (internationalised addresses are not sent)"
    if len(value) > ADDRESS_MAX_OCTETS:
        return f"is longer than {ADDRESS_MAX_OCTETS} characters"
    if value.count("@") != 1:
        return "needs exactly one '@' between a name and a domain, such as 'ann@example.org'"
    local, domain = value.split("@")
    if not local or len(local) > LOCAL_MAX_OCTETS or _LOCAL.fullmatch(local) is None:
        return (
            f"has a name part {local!r} that is not 1-{LOCAL_MAX_OCTETS} letters, digits or "
            "!#$%&'*+/=?^_`{|}~- with single dots between them"
        )
    labels = domain.split(".")
    if len(labels) < 2:
        return f"has a domain {domain!r} without a dot (such as 'example.org')"
    for label in labels:
        if len(label) > LABEL_MAX_OCTETS or _LABEL.fullmatch(label) is None:
            return (
                f"has a domain {domain!r} with a part {label!r} that is not letters, digits "
                f"and inner hyphens (1-{LABEL_MAX_OCTETS} characters)"
            )
    if labels[-1].isdigit():
        return f"has a domain {domain!r} ending in digits (IP addresses are not accepted)"
    return None


def sms_problem(value: str) -> str | None:
    """Why ``value`` is not an E.164 mobile number, or None when it is one."""
    if _E164.fullmatch(value) is None:
        return "is not an international number: '+', the country code and 8-15 digits, no spaces"
    return None


def checked_recipient(channel: Channel, value: str, *, field: str = "to") -> str:
    """``value`` stripped when it is an address for ``channel``; otherwise
    :class:`InvalidInputError` (422) naming ``field``, the value and the rule."""
    address = value.strip()
    problem = email_problem(address) if channel is Channel.EMAIL else sms_problem(address)
    if problem is not None:
        kind = "an e-mail address" if channel is Channel.EMAIL else "an SMS number"
        raise InvalidInputError(
            [
                FieldProblem(
                    field, value, f"{channel.value}_address", f"{field} {problem}: not {kind}"
                )
            ]
        )
    return address
