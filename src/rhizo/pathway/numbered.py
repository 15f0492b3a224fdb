"""Numbered sources for plain text: each item ends with ``[n]``, the list comes once at the end."""

from __future__ import annotations


class NumberedSources:
    """Numbers sources in order of first use; the same source keeps its number."""

    def __init__(self) -> None:
        self.numbers: dict[str, int] = {}

    def mark(self, source: str) -> str:
        """``[n]`` for ``source``, numbering it if it is new."""
        number = self.numbers.setdefault(source, len(self.numbers) + 1)
        return f"[{number}]"

    def lines(self, heading: str = "Sources") -> list[str]:
        """The heading, its underline and ``n. source`` per source, in number order."""
        return [heading, "-" * len(heading)] + [
            f"{number}. {source}" for source, number in self.numbers.items()
        ]
