#!/usr/bin/env bash
# The GPU checks, for a lent CUDA machine (the device tool): run from the repo root.
# The machine's image has CuPy, NumPy, SciPy and pytest but no PyPI access, so
# pydantic comes from wheels carried in .gpu_wheels/ (pip download --only-binary
# for its Python; see docs/physics.md, "GPU"). Writes logs and JSON under $OUT.
set -euo pipefail
OUT="${OUT:-/tmp/rhizo-gpu}"
mkdir -p "$OUT"
if ! python3 -c "import pydantic" 2>/dev/null; then
  python3 -m pip install --quiet --no-index --find-links .gpu_wheels pydantic
fi
export PYTHONPATH=src PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$OUT/gpu.txt"
python3 -c "import cupy, numpy, scipy; print('cupy', cupy.__version__, 'numpy', numpy.__version__, 'scipy', scipy.__version__)" | tee -a "$OUT/gpu.txt"
python3 -m pytest -p no:cacheprovider -q -rs tests/physics/test_batch_gpu.py tests/physics/test_batch.py tests/planning/test_real_engine.py 2>&1 | tee "$OUT/pytest.log"
[ "${BENCH:-1}" = "0" ] || python3 benchmarks/lesion_batch.py --sizes "${SIZES:-1,8,32,128}" --gpu-only "${GPU_ONLY:-512,1024}" --out "$OUT/lesion_batch.json" 2>&1 | tee "$OUT/bench.log"
python3 scripts/gpu_recommend.py 2>&1 | tee "$OUT/recommend.log"
