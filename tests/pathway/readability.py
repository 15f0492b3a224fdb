"""Flesch-Kincaid grade level with a small syllable counter (textstat is not a dependency).

    grade = 0.39 * words / sentences + 11.8 * syllables / words - 15.59

(Kincaid JP et al. 1975, Derivation of new readability formulas for Navy enlisted
personnel, Research Branch Report 8-75.) Syllables are counted as groups of
vowels (a e i o u y) with the common English corrections: a silent final "e"
(but not "-le"), a silent "-es" / "-ed" ending after most consonants, at least
one syllable per word; a number counts one syllable per digit group of up to
two digits ("616" is read "six sixteen" here: 2 groups, a fair middle). It is
a heuristic, as textstat's is; tests check it against dictionary counts and
against textstat's grade for a sentence the clinical audit measured.
"""

from __future__ import annotations

import re

_WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?|\d+(?:[.,]\d+)*")
_SENTENCE_END = re.compile(r"[.!?]+(?:\s|$)")
_VOWELS = re.compile(r"[aeiouy]+")
#: "-es" / "-ed" endings that are a syllable of their own ("cases", "treated").
_SOUNDED_ENDINGS = ("ses", "zes", "ces", "ges", "xes", "shes", "ches", "ted", "ded")


def syllables(word: str) -> int:
    """Syllables in one word (heuristic), at least 1."""
    if word[:1].isdigit():
        digits = re.sub(r"\D", "", word)
        return max(1, -(-len(digits) // 2))
    w = word.lower().split("'")[0]
    count = len(_VOWELS.findall(w))
    silent_e = len(w) > 2 and w.endswith("e") and not w.endswith(("le", "ee", "ye"))
    silent_ending = len(w) > 3 and w.endswith(("es", "ed")) and not w.endswith(_SOUNDED_ENDINGS)
    if silent_e or silent_ending:
        count -= 1
    return max(1, count)


def words(text: str) -> list[str]:
    """The words of ``text`` (letters with an inner apostrophe, or numbers)."""
    return _WORD.findall(text)


def sentences(text: str) -> int:
    """Sentences in ``text``: runs ending in . ! or ? (a text without one is one sentence)."""
    return max(1, len(_SENTENCE_END.findall(text.strip() + " ")))


def fk_grade(text: str) -> float:
    """Flesch-Kincaid grade level of ``text``."""
    found = words(text)
    if not found:
        raise ValueError("no words to grade")
    total = sum(syllables(w) for w in found)
    return 0.39 * len(found) / sentences(text) + 11.8 * total / len(found) - 15.59
