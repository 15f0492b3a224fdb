"""The password policy: wherever a password is set (user creation, admin reset,
self-service change, ``rhizo user add``, demo seeding) it must pass :func:`strong_password`.

Two rules, after NIST SP 800-63B (2017, section 5.1.1.2, "Memorized Secret
Verifiers"; guideline text, recalled): at least ``MIN_PASSWORD_LENGTH`` characters
(the NIST minimum is 8; rhizo asks 12 as before) and not a commonly used,
expected or compromised value. The second rule is zxcvbn's (Wheeler 2016,
"zxcvbn: Low-Budget Password Strength Estimation", USENIX Security; the Python
port ``zxcvbn`` 4.5 on PyPI, dwolfhub/zxcvbn-python), which matches against
frequency-ranked lists of common passwords, names and English words, keyboard
patterns, repeats, sequences and dates, and estimates the guesses an attacker
needs. A password is refused below ``MIN_ZXCVBN_SCORE`` = 3 ("safely
unguessable: moderate protection from an offline slow-hash scenario", about
10^8 guesses and more), so ``password1234`` (score 1) and twelve ``a`` (score
0) fail; the demo's ``secrets.token_urlsafe(12)`` passwords score 4. No
composition rules (NIST advises against them). The username and full name count
as known words, so ``jsmith-password`` is weak for the user ``jsmith``.
"""

from __future__ import annotations

from zxcvbn import zxcvbn

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 200
#: zxcvbn's score scale: 0 too guessable ... 4 very unguessable (guesses >= 10^10).
MIN_ZXCVBN_SCORE = 3


def password_problem(password: str, *known_words: str | None) -> str | None:
    """Why ``password`` is refused (a sentence that never repeats it), or None.

    ``known_words``: the user's own name, username and the like, which an
    attacker would try first.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"must be at least {MIN_PASSWORD_LENGTH} characters"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"must be at most {MAX_PASSWORD_LENGTH} characters"
    words = [word for word in known_words if word]
    result = zxcvbn(password, user_inputs=words, max_length=MAX_PASSWORD_LENGTH)
    if int(result["score"]) >= MIN_ZXCVBN_SCORE:
        return None
    feedback = result.get("feedback") or {}
    hints = [str(feedback.get("warning") or "")] + [str(s) for s in feedback.get("suggestions", [])]
    hint = " ".join(h.rstrip(".") + "." for h in hints if h)
    return (
        f"is too easy to guess (strength {result['score']} of 4, at least "
        f"{MIN_ZXCVBN_SCORE} needed){': ' + hint if hint else ''} "
        "A passphrase of four or more unrelated words works well."
    )


def strong_password(password: str, *known_words: str | None) -> str:
    """``password`` when it passes the policy; ``ValueError`` with the reason otherwise."""
    problem = password_problem(password, *known_words)
    if problem is not None:
        raise ValueError(f"password {problem}")
    return password
