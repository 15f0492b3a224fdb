"""One recommendation run for a joint, as ``rhizo recommend`` and the web planner make it.

The candidate grid (:func:`rhizo.planning.recommend.candidate_grid`), the lesions
kept on disk between runs (:func:`rhizo.planning.profile_store.stored_lesion_for`)
and the adaptive screen: with :data:`SCREEN_FROM_SAMPLES` samples or more, every
candidate is first evaluated on an eighth of them, and the contenders (not worse than
the leader beyond sampling noise; at most :data:`REFINE_TOP` by capture and
:data:`REFINE_TOP` by preference per round) go on, doubling, to the full count
(:func:`rhizo.planning.recommend.rank_candidates`). The CLI and the web page read
these parameters here, so both rank with the same numbers for the same inputs.

Imports of the ranking are inside the function (the CLI imports this module at start).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from rhizo.planning.capture import MIN_CAPTURED_LENGTH_MM

if TYPE_CHECKING:
    from rhizo.planning.anatomy import Joint
    from rhizo.planning.recommend import Candidate, RankedCandidate

#: Contenders taken further per round of the adaptive screen, by capture and by preference.
REFINE_TOP = 2
#: Sample counts from this one on screen every candidate with an eighth of them.
SCREEN_FROM_SAMPLES = 400
#: ``rhizo recommend``'s default samples per nerve.
DEFAULT_SAMPLES = 1000


def screen_samples_for(samples: int) -> int | None:
    """The adaptive screen's first stage (an eighth of the samples), or None for no screen."""
    return samples // 8 if samples >= SCREEN_FROM_SAMPLES else None


def recommend_for_joint(
    joint: Joint,
    *,
    offset_mm: float = 1.0,
    samples: int = DEFAULT_SAMPLES,
    seed: int = 0,
    min_length_mm: float = MIN_CAPTURED_LENGTH_MM,
    progress: Callable[[int, int], None] | None = None,
    candidates: Sequence[Candidate] | None = None,
) -> list[RankedCandidate]:
    """Every candidate of the default grid (or ``candidates``) ranked for ``joint``."""
    from rhizo.planning import recommend
    from rhizo.planning.profile_store import stored_lesion_for

    return recommend.rank_candidates(
        joint,
        recommend.candidate_grid() if candidates is None else candidates,
        offset_mm=offset_mm,
        samples=samples,
        seed=seed,
        min_length_mm=min_length_mm,
        progress=progress,
        lesion_source=stored_lesion_for,
        screen_samples=screen_samples_for(samples),
        refine_top=REFINE_TOP,
    )
