"""Read a user's YAML or JSON file with bounds: size, nodes, depth, and no aliases.

``yaml.safe_load`` constructs only plain types, but it still expands aliases:
a "billion laughs" file of a few hundred bytes (nine anchors, each a list of
nine aliases of the one before) describes 9**9 strings, and ``rhizo screen``
hung on one. A patient file or a questionnaire never needs an alias, so the
loader here refuses the first one, and also caps the file's size, its number
of nodes and its nesting depth (deep nesting would exhaust the recursion of
PyYAML's composer). Every refusal is one line naming the argument, the file
and the bound, exit code 2 (:func:`rhizo.cli._errors.fail`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import Node

from rhizo.cli._errors import fail

#: The largest file read (bytes): a patient or an answers file is a few kB.
MAX_FILE_BYTES = 1024 * 1024
#: The most YAML nodes (scalars, lists, mappings) in one file.
MAX_NODES = 100_000
#: The deepest nesting of lists and mappings.
MAX_DEPTH = 64


class RefusedYaml(yaml.YAMLError):
    """A file outside the loader's bounds; the message says which bound."""


class BoundedSafeLoader(yaml.SafeLoader):
    """PyYAML's SafeLoader that refuses aliases and counts nodes and depth."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._nodes = 0
        self._depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            line = event.start_mark.line + 1 if event.start_mark else "?"
            raise RefusedYaml(f"no aliases (found *{event.anchor} on line {line}: write it out)")
        self._nodes += 1
        if self._nodes > MAX_NODES:
            raise RefusedYaml(f"at most {MAX_NODES} values")
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise RefusedYaml(f"nesting at most {MAX_DEPTH} levels deep")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def load_bounded(text: str) -> Any:
    """The one document in ``text``, within the bounds (:class:`RefusedYaml` otherwise)."""
    loader = BoundedSafeLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def read_structured(argument: str, path: Path) -> Any:
    """Read a YAML or JSON file (JSON is YAML) within the bounds, failing with one line."""
    if not path.is_file():
        fail(argument, str(path), "an existing file")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        fail(argument, str(path), f"a file of at most {MAX_FILE_BYTES} bytes (this is {size})")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        fail(argument, str(path), f"a readable UTF-8 YAML/JSON file ({type(error).__name__})")
    try:
        return load_bounded(text)
    except RefusedYaml as error:
        fail(argument, str(path), f"a YAML/JSON file with {error}")
    except (yaml.YAMLError, RecursionError) as error:
        fail(argument, str(path), f"a readable YAML/JSON file ({type(error).__name__})")
