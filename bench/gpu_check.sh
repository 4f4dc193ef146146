#!/usr/bin/env bash
# The GPU check, run on a lent GPU machine by the device tool's `run` (bench/GPU.md says how).
# Unpacks the carried bundle (made beforehand, where PyPI is reachable, by
# `python -m bench.gpu_check bundle`), shows how inference.cuda_libs finds the CUDA
# libraries there, then prints the table: load time, device and compute type, LCA request
# latency p50/p95 and the GPU memory peak, per compute type. Extra arguments go to
# `python -m bench.gpu_check measure` (e.g. --requests 20, --compute-types int8_float16).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
bundle=${GPU_BUNDLE:-.gpu-bundle}
work=${GPU_WORK:-/tmp/gpu-check}
out=${OUT:-$work/out}
python=${PYTHON:-python3}

for part in site data; do
  if [ ! -f "$bundle/$part.tar.xz" ]; then
    echo "ERROR: $bundle/$part.tar.xz is missing: run 'python -m bench.gpu_check bundle' and carry $bundle" >&2
    exit 2
  fi
done
mkdir -p "$work/site" "$work/cache" "$out"
tar -xJf "$bundle/site.tar.xz" -C "$work/site" && tar -xJf "$bundle/data.tar.xz" -C "$work/cache" || exit 1
export PYTHONPATH="$work/site:$PWD" WHISPER_SAGEMAKER_CACHE="$work/cache" PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv || echo "nvidia-smi failed"

# 1. The CUDA libraries as this machine has them, found or preloaded by inference.cuda_libs.
if ! "$python" -m bench.gpu_check libs; then
  # The lent machines run a CUDA 13 image, which may hold no cuBLAS 12 at all. To still
  # measure, point libcublas*.so.12 at its cuBLAS 13 (same C API, looked up by dlsym), and
  # say loudly that this is not the layout of the serving image.
  compat="$work/cuda12-compat"
  mkdir -p "$compat"
  for lib in libcublas libcublasLt; do
    found=$(find /opt /usr/local /usr/lib -name "$lib.so.13*" -type f 2>/dev/null | head -n 1)
    [ -n "$found" ] && ln -sf "$found" "$compat/$lib.so.12"
  done
  export LD_LIBRARY_PATH="$compat${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  echo "NOTE: no cuBLAS 12 on this machine; libcublas.so.12 -> $(readlink "$compat/libcublas.so.12" || echo nothing)." \
    "The numbers below do not come from the serving image's libraries."
  "$python" -m bench.gpu_check libs || exit 1
fi

# 2. The table, also written to $out/gpu_check.json and $out/gpu_check.log.
"$python" -m bench.gpu_check measure --json "$out/gpu_check.json" "$@" 2>&1 | tee "$out/gpu_check.log"
