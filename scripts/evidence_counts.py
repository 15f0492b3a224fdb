"""Rewrite the AFTER table of evidence counts in docs/pathway.md from today's knowledge files.

Usage: ``python scripts/evidence_counts.py [docs/pathway.md]``. The table is
``rhizo.pathway.evidence.markdown_table()`` (the same as ``rhizo knowledge counts``);
tests/pathway/test_evidence_docs.py fails until the doc holds it.
"""

from __future__ import annotations

import sys
from pathlib import Path

from rhizo.pathway.evidence import markdown_table, with_fresh_table


def main(argv: list[str]) -> int:
    path = Path(argv[1] if len(argv) > 1 else "docs/pathway.md")
    before = path.read_text(encoding="utf-8")
    after = with_fresh_table(before)
    if after != before:
        path.write_text(after, encoding="utf-8")
        print(f"{path}: AFTER table rewritten")
    else:
        print(f"{path}: AFTER table already current")
    print(markdown_table())
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
