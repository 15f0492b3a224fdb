"""One-line input errors for the CLI (exit code 2, no traceback)."""

from __future__ import annotations

from typing import NoReturn

from pydantic import ValidationError


class InputError(Exception):
    """A bad value: names the option, the value and what is allowed.

    :func:`rhizo.cli.main` prints it as one line on stderr and exits with 2.
    """


def fail(option: str, value: object, allowed: str) -> NoReturn:
    """Raise an :class:`InputError` reading ``--option: value ...; allowed: ...``."""
    raise InputError(f"{option}: {value!r} is not allowed; {allowed}")


def fail_from_validation(error: ValidationError, option_names: dict[str, str]) -> NoReturn:
    """Turn the first pydantic error into one line naming the CLI option.

    ``option_names`` maps model field names to the options the user typed.
    """
    first = error.errors()[0]
    field = ".".join(str(part) for part in first["loc"]) or "input"
    option = option_names.get(field, field)
    message = first["msg"]
    raise InputError(f"{option}: {first.get('input')!r} is not allowed; {message}")


def settings_error(error: ValidationError) -> InputError:
    """One line for a bad ``RHIZO_*`` setting: the variable, its value and the rule.

    A whole-model rule (the secret's strength) has no field; its message names
    the variable itself.
    """
    first = error.errors()[0]
    message = str(first["msg"]).removeprefix("Value error, ")
    if not first["loc"]:
        return InputError(message)
    variable = "RHIZO_" + "_".join(str(part) for part in first["loc"]).upper()
    if variable in message:  # the validator already said which variable and value
        return InputError(message)
    return InputError(f"{variable}: {first.get('input')!r} is not allowed; {message}")
