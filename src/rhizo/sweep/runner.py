"""Run a sweep: draw its rows, evaluate the missing chunks on Dask, write them, consolidate.

The client draws every row (:func:`rhizo.sweep.design.draw_samples`, deterministic in
the spec's seed), so every run of one spec has the same rows; the store
(:class:`rhizo.sweep.store.SweepStore`) says which chunks are already on disk, and only
the others are computed: a killed sweep resumes where it stopped.

Execution, one of:

* a local Dask cluster (default): ``LocalCluster(n_workers=workers or os.cpu_count(),
  threads_per_worker=1, processes=True, dashboard_address=":0")``, spawned worker
  processes (the engine holds the GIL, so one thread per process);
* ``cluster="cuda"``: ``dask_cuda.LocalCUDACluster`` (one worker per GPU);
* ``scheduler="tcp://host:port"``: an existing cluster (its workers need rhizo);
* ``serial=True``: the same :func:`rhizo.sweep.evaluate.evaluate_chunk` in this process,
  no Dask (the benchmark's baseline; debugging). Dask starts its workers with one BLAS
  thread (``OMP_NUM_THREADS=1``, ``OPENBLAS_NUM_THREADS=1``); this process keeps its
  own setting, and on a loaded machine a multi-threaded OpenBLAS spins: a lesion
  measured at 0.05 s took 20-40 s here with 8 processes on 2 cores. Set those
  variables to 1 before Python starts for a serial run or its benchmark.

A task is one chunk (``spec.chunk_size`` lesions, about 10^3) through the batched
engine, never one lesion. At most two chunks per worker are in flight; results come
back with ``as_completed`` and are written **by the client** (one writer, so a remote
cluster needs no shared disk). A chunk that fails on a worker stops the sweep with one
line naming the chunk and the worker's error (:class:`ChunkFailed`); the chunks already
written stay, and running the sweep again continues from them.

Dask and distributed come with the ``dist`` extra and are imported here only when a
cluster is used (:class:`DistMissing` otherwise).
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from rhizo.sweep.evaluate import evaluate_chunk
from rhizo.sweep.store import SweepStore

if TYPE_CHECKING:
    from rhizo.sweep.spec import SweepSpec

__all__ = [
    "IN_FLIGHT_PER_WORKER",
    "ChunkFailed",
    "DistMissing",
    "SchedulerUnavailable",
    "SweepOutcome",
    "SweepProgress",
    "run_sweep",
]

#: Chunks submitted per worker before the client waits for one to finish.
IN_FLIGHT_PER_WORKER = 2
_DIST_HINT = "rhizo sweep needs the dist extra: pip install 'rhizo[dist]'"


@dataclass(frozen=True)
class SweepProgress:
    """Where a running sweep stands (skipped chunks count as done)."""

    done_lesions: int
    total_lesions: int
    done_chunks: int
    total_chunks: int
    elapsed_s: float
    #: Lesions computed in THIS run per second of it (None before the first chunk).
    lesions_per_s: float | None
    #: Time left at that rate (None before the first chunk).
    eta_s: float | None


@dataclass(frozen=True)
class SweepOutcome:
    """What a finished run did; ``elapsed_s`` and ``lesions_per_s`` time this run only."""

    directory: Path
    results_path: Path
    chunks_run: int
    chunks_skipped: int
    #: Lesions computed in this run (the skipped chunks' are not counted).
    lesions: int
    elapsed_s: float
    lesions_per_s: float | None
    dashboard: str | None
    executor: str


class SchedulerUnavailable(RuntimeError):
    """No Dask scheduler answered at the given address in time."""


class DistMissing(RuntimeError):
    """Dask distributed (the ``dist`` extra) or dask_cuda is not installed."""


class ChunkFailed(RuntimeError):
    """A chunk's evaluation raised on a worker; the chunks written so far are kept."""


@dataclass
class _Tally:
    """Counts for the progress reports of one run."""

    total_lesions: int
    total_chunks: int
    done_lesions: int
    done_chunks: int
    started: float
    run_lesions: int = 0
    run_chunks: int = 0

    def add(self, lesions: int) -> None:
        self.done_lesions += lesions
        self.done_chunks += 1
        self.run_lesions += lesions
        self.run_chunks += 1

    def elapsed_s(self) -> float:
        return time.perf_counter() - self.started

    def rate(self) -> float | None:
        elapsed = self.elapsed_s()
        if self.run_lesions == 0 or elapsed <= 0:
            return None
        return self.run_lesions / elapsed

    def report(self) -> SweepProgress:
        rate = self.rate()
        left = self.total_lesions - self.done_lesions
        return SweepProgress(
            done_lesions=self.done_lesions,
            total_lesions=self.total_lesions,
            done_chunks=self.done_chunks,
            total_chunks=self.total_chunks,
            elapsed_s=self.elapsed_s(),
            lesions_per_s=rate,
            eta_s=None if rate is None else left / rate,
        )


def _chunk_error(index: int, rows: slice, error: BaseException) -> ChunkFailed:
    text = " ".join(str(error).split()) or type(error).__name__
    return ChunkFailed(
        f"chunk {index} (samples {rows.start}-{rows.stop - 1}) failed on its worker: "
        f"{type(error).__name__}: {text}; the chunks already written are kept, run the "
        "sweep again to continue"
    )


def _import_distributed() -> Any:
    try:
        import distributed
    except ImportError as error:
        raise DistMissing(_DIST_HINT) from error
    return distributed


#: The Dask setting whose environment variable local workers start without (None unsets
#: it: ``distributed.nanny._get_env_variables``); a remote cluster's workers need the
#: same (docs/sweeps.md, "Running on a cluster").
WORKER_ENVIRON_UNSET = "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_"
_MALLOC_TRIM = "MALLOC_TRIM_THRESHOLD_"


def _connect(
    stack: ExitStack,
    *,
    scheduler: str | None,
    workers: int | None,
    cluster: Literal["local", "cuda"],
    connect_timeout_s: float,
) -> tuple[Any, str]:
    """A Dask client (closed by ``stack``) and the executor's description."""
    distributed = _import_distributed()
    if scheduler is not None:
        try:
            client = distributed.Client(scheduler, timeout=connect_timeout_s)
        except (OSError, TimeoutError, ValueError) as error:
            reason = (
                f"no scheduler answered in {connect_timeout_s:g} s"
                if isinstance(error, OSError | TimeoutError)
                else " ".join(str(error).split())
            )
            raise SchedulerUnavailable(f"--scheduler {scheduler}: {reason}") from error
        stack.callback(client.close)
        return client, f"dask scheduler {scheduler}"
    if workers is not None and workers < 1:
        raise ValueError(f"workers {workers!r}: allowed an integer >= 1")
    import dask

    # The nanny's default MALLOC_TRIM_THRESHOLD_ (65536) turns off glibc's dynamic mmap
    # threshold, so every large array is a fresh mmap: the engine ran 2.4x slower under
    # it (58 vs 24 ms a lesion, one process, measured here). Local workers go without it.
    # A nanny started earlier in this process (any default-configured cluster) has put
    # the variable in os.environ, which spawned workers inherit: hide it while ours spawn.
    inherited = os.environ.pop(_MALLOC_TRIM, None)
    with ExitStack() as restore, dask.config.set({WORKER_ENVIRON_UNSET: None}):
        if inherited is not None:
            restore.callback(os.environ.__setitem__, _MALLOC_TRIM, inherited)
        if cluster == "cuda":
            try:
                from dask_cuda import LocalCUDACluster
            except ImportError as error:
                raise DistMissing(
                    "--cuda needs dask_cuda on this machine: pip install dask-cuda "
                    "(and CuPy: pip install 'rhizo[gpu]')"
                ) from error
            local = LocalCUDACluster(threads_per_worker=1, dashboard_address=":0")
            kind = "local dask CUDA cluster"
        else:
            local = distributed.LocalCluster(
                n_workers=workers or os.cpu_count() or 1,
                threads_per_worker=1,
                processes=True,
                dashboard_address=":0",
            )
            kind = "local dask cluster"
    stack.callback(local.close)
    client = distributed.Client(local)
    stack.callback(client.close)
    count = len(local.workers)
    return client, f"{kind} ({count} worker{'s' if count != 1 else ''})"


def _dashboard(client: Any) -> str | None:
    """The dashboard's address when the scheduler runs one (bokeh installed)."""
    try:
        services = client.scheduler_info().get("services", {})
    except (OSError, TimeoutError, AttributeError):
        return None
    if "dashboard" not in services:
        return None
    link = client.dashboard_link
    return str(link) if link else None


def _worker_count(client: Any) -> int:
    workers = client.scheduler_info().get("workers", {})
    return max(1, len(workers))


def _run_on_client(
    client: Any,
    store: SweepStore,
    spec_json: str,
    values: np.ndarray,
    todo: list[int],
    backend: str,
    tally: _Tally,
    progress: Callable[[SweepProgress], None] | None,
) -> None:
    """Submit ``todo`` with a bounded number in flight; write each result as it comes."""
    distributed = _import_distributed()
    limit = IN_FLIGHT_PER_WORKER * _worker_count(client)
    pending: Iterator[int] = iter(todo)
    which: dict[str, int] = {}
    prefix = f"rhizo-sweep-{store.spec.digest()[:12]}"

    def submit(index: int) -> Any:
        rows = store.chunk_rows(index)
        future = client.submit(
            evaluate_chunk,
            spec_json,
            rows.start,
            values[rows],
            backend,
            key=f"{prefix}-chunk-{index:06d}",
            pure=False,
            retries=0,
        )
        which[future.key] = index
        return future

    first = [submit(index) for _, index in zip(range(limit), pending, strict=False)]
    queue = distributed.as_completed(first, with_results=False)
    try:
        for future in queue:
            index = which.pop(future.key)
            if future.status != "finished":
                try:
                    error = future.exception()
                except (Exception, asyncio.CancelledError) as cancelled:  # dropped by Dask
                    error = cancelled
                raise _chunk_error(index, store.chunk_rows(index), error)
            columns = future.result()
            future.release()
            store.write_chunk(index, columns)
            tally.add(store.chunk_rows(index).stop - store.chunk_rows(index).start)
            if progress is not None:
                progress(tally.report())
            following = next(pending, None)
            if following is not None:
                queue.add(submit(following))
    finally:
        leftover = list(queue.futures) if hasattr(queue, "futures") else []
        if leftover:
            client.cancel(leftover)


def run_sweep(
    spec: SweepSpec,
    directory: Path,
    *,
    scheduler: str | None = None,
    workers: int | None = None,
    serial: bool = False,
    overwrite: bool = False,
    cluster: Literal["local", "cuda"] = "local",
    progress: Callable[[SweepProgress], None] | None = None,
    on_dashboard: Callable[[str], None] | None = None,
    connect_timeout_s: float = 10.0,
) -> SweepOutcome:
    """Run (or resume) ``spec`` into ``directory``; returns what this run did.

    ``progress`` is called once at the start (skipped chunks counted as done) and after
    every chunk written; ``on_dashboard`` with the Dask dashboard's address when the
    cluster has one. Raises :class:`SchedulerUnavailable`, :class:`DistMissing`,
    :class:`ChunkFailed` or :class:`rhizo.sweep.store.SweepStoreError` (one line each).
    """
    from rhizo.sweep.design import draw_samples

    started = time.perf_counter()
    table = draw_samples(spec)  # a sample out of its range fails before anything is written
    store = SweepStore(Path(directory), spec, overwrite=overwrite)
    values = np.ascontiguousarray(table.values, dtype=np.float64)
    done = store.done_chunks()
    todo = [index for index in range(store.chunk_count) if index not in done]
    skipped_lesions = sum(
        store.chunk_rows(i).stop - store.chunk_rows(i).start for i in sorted(done)
    )
    tally = _Tally(
        total_lesions=store.lesion_count,
        total_chunks=store.chunk_count,
        done_lesions=skipped_lesions,
        done_chunks=len(done),
        started=started,
    )
    if progress is not None:
        progress(tally.report())
    # model_dump_json keeps the inputs' order (the rows' columns); canonical_json sorts it
    spec_json = spec.model_dump_json()
    dashboard: str | None = None
    if serial:
        executor = "serial"
        for index in todo:
            rows = store.chunk_rows(index)
            try:
                columns = evaluate_chunk(spec_json, rows.start, values[rows], spec.backend)
            except Exception as error:
                raise _chunk_error(index, rows, error) from error
            store.write_chunk(index, columns)
            tally.add(rows.stop - rows.start)
            if progress is not None:
                progress(tally.report())
    elif not todo:
        executor = "none (every chunk was already done)"
    else:
        with ExitStack() as stack:
            client, executor = _connect(
                stack,
                scheduler=scheduler,
                workers=workers,
                cluster=cluster,
                connect_timeout_s=connect_timeout_s,
            )
            dashboard = _dashboard(client)
            if dashboard is not None and on_dashboard is not None:
                on_dashboard(dashboard)
            _run_on_client(client, store, spec_json, values, todo, spec.backend, tally, progress)
    results_path = store.consolidate()
    elapsed = time.perf_counter() - started
    return SweepOutcome(
        directory=store.directory,
        results_path=results_path,
        chunks_run=tally.run_chunks,
        chunks_skipped=len(done),
        lesions=tally.run_lesions,
        elapsed_s=elapsed,
        lesions_per_s=tally.run_lesions / elapsed if tally.run_lesions and elapsed > 0 else None,
        dashboard=dashboard,
        executor=executor,
    )
