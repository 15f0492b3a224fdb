"""Many lesions at once: the engine of :mod:`rhizo.physics.engine`, batched over protocols.

There is one time loop, :func:`rhizo.physics.engine.run_lesions`; a single lesion is
the batch of one. This module checks what a batch must share and groups any list
of protocols into such batches, on the CPU (NumPy) or on a CUDA GPU (CuPy,
:mod:`rhizo.physics.backend`).

What a batch shares and what may differ: the cannula (gauge, tip, metal), the
tissue, the damage model and the grid define the matrices, so they must be equal
within a batch; the generator program (set temperature, lesion time, ramp, power
and voltage limits, series resistance) may differ per lesion. A lesion whose
program ends early simply stops advancing while the others go on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from rhizo.physics.engine import run_lesions
from rhizo.physics.grid import step_end_times
from rhizo.physics.model import MODEL_FIELDS
from rhizo.physics.protocol import LesionProtocol
from rhizo.physics.result import LesionResult

ProgressCallback = Callable[[int, int], None]

#: Fields that define the matrices: equal across a batch.
SHARED_FIELDS = (*MODEL_FIELDS, "grid", "damage")


def _check_batch(protocols: Sequence[LesionProtocol]) -> None:
    if not protocols:
        raise ValueError("protocols is empty: a batch needs at least one lesion")
    first = protocols[0]
    for index, protocol in enumerate(protocols[1:], start=1):
        for name in SHARED_FIELDS:
            if getattr(protocol, name) != getattr(first, name):
                raise ValueError(
                    f"protocols[{index}].{name} differs from protocols[0].{name}: a batch "
                    f"shares {', '.join(SHARED_FIELDS)}; simulate_sweep groups mixed protocols"
                )


def simulate_batch(
    protocols: Sequence[LesionProtocol],
    *,
    backend: str = "numpy",
    progress: ProgressCallback | None = None,
    stop_at_boiling: bool = False,
) -> list[LesionResult]:
    """Simulate lesions that share cannula, tissue and grid, in lock step on ``backend``.

    Returns one :class:`~rhizo.physics.result.LesionResult` per protocol, in order;
    ``runtime_s`` is the batch's wall time divided by its size and the diagnostics
    name the batch size and backend. ``progress(step, steps)`` is called every step;
    ``stop_at_boiling`` as in :func:`rhizo.physics.engine.simulate`.
    """
    _check_batch(protocols)
    callback = None
    if progress is not None:
        total = max(
            step_end_times(
                ramp_s=p.generator.ramp_s, total_s=p.generator.total_time_s, settings=p.grid
            ).size
            for p in protocols
        )
        counter = {"step": 0}

        def callback(_: object) -> None:
            counter["step"] += 1
            progress(counter["step"], total)

    return run_lesions(
        protocols, backend=backend, step_callback=callback, stop_at_boiling=stop_at_boiling
    )


def _batch_key(protocol: LesionProtocol) -> str:
    return repr(tuple((name, getattr(protocol, name)) for name in SHARED_FIELDS))


def sweep_batches(
    protocols: Sequence[LesionProtocol],
    *,
    backend: str = "numpy",
    max_batch: int = 256,
) -> Iterator[tuple[list[int], list[LesionResult]]]:
    """Any protocols as batches of equal cannula, tissue and grid: (indices, results) each.

    Each batch's results come as it finishes, with the protocols' indices, so a caller
    that keeps only a few numbers of each lesion (a population sweep) holds at most
    ``max_batch`` results at once: a result keeps its fields (about 1 MB a lesion at the
    default grid). ``max_batch`` bounds the lesions advanced together.
    """
    if max_batch < 1:
        raise ValueError(f"max_batch must be at least 1, got {max_batch}")
    groups: dict[str, list[int]] = {}
    for index, protocol in enumerate(protocols):
        groups.setdefault(_batch_key(protocol), []).append(index)
    for indices in groups.values():
        for start in range(0, len(indices), max_batch):
            chunk = indices[start : start + max_batch]
            yield chunk, simulate_batch([protocols[i] for i in chunk], backend=backend)


def simulate_sweep(
    protocols: Sequence[LesionProtocol],
    *,
    backend: str = "numpy",
    max_batch: int = 256,
    progress: ProgressCallback | None = None,
) -> list[LesionResult]:
    """Any protocols, grouped into batches of equal cannula, tissue and grid; results in order.

    ``max_batch`` bounds the lesions advanced together (memory grows with it);
    ``progress(done, total)`` counts finished lesions. The batches are
    :func:`sweep_batches`'.
    """
    results: list[LesionResult | None] = [None] * len(protocols)
    done = 0
    for chunk, batch in sweep_batches(protocols, backend=backend, max_batch=max_batch):
        for index, result in zip(chunk, batch, strict=True):
            results[index] = result
        done += len(chunk)
        if progress is not None:
            progress(done, len(protocols))
    return [r for r in results if r is not None]
