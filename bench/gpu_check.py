"""The handler on a real GPU: prepared here, run on a lent GPU machine by ``bench/gpu_check.sh``.

    python -m bench.gpu_check bundle [--out .gpu-bundle]             # here (needs PyPI)
    python -m bench.gpu_check libs                                   # there: the CUDA library layout
    python -m bench.gpu_check measure [--json PATH] [--dry-run]      # there: the table

``bundle`` writes what the GPU machine lacks, inside the 64 MiB one call may carry: the
runtime wheels pinned in ``builder/wheels.lock`` (CTranslate2 4.6 with CUDA, faster-whisper,
soundfile, soxr) unpacked for CPython 3.12, tiny.en re-quantised to int8 (the float16
original alone is 72 MiB; CTranslate2 converts int8 weights to float16 on load when asked),
and the speech clips, each xz-compressed. ``measure`` loads the model through the handler's
own ``model_fn`` once per compute type (the loader's default, float16, int8_float16), each in
a fresh process so that its GPU memory peak is its own, and sends LCA's request stream
(``bench.lca_workload``) through ``input_fn``/``predict_fn``/``output_fn``. ``--dry-run``
does the same on the CPU with two requests (what the tests run).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from bench import gpu_check_bundle

REPO = Path(__file__).resolve().parents[1]
COMPUTE_TYPES = ("default", "float16", "int8_float16")


class GpuMemory:
    """Peak GPU memory in use, sampled every 20 ms (NVML through ``pynvml``, else ``nvidia-smi``)."""

    def __init__(self) -> None:
        self.peak_mib: float | None = None
        self._read = self._reader()
        self.baseline_mib = self._read() if self._read else None

    @staticmethod
    def _reader():
        try:
            import pynvml

            pynvml.nvmlInit()
            handle = pynvml.nvmlDeviceGetHandleByIndex(0)
            return lambda: pynvml.nvmlDeviceGetMemoryInfo(handle).used / 2**20
        except Exception:  # no NVML binding or no driver: try the command line tool
            pass
        query = ["nvidia-smi", "--query-gpu=memory.used", "--format=csv,noheader,nounits", "--id=0"]
        try:
            subprocess.run(query, check=True, capture_output=True, timeout=10)
        except (OSError, subprocess.SubprocessError):
            return None
        return lambda: float(subprocess.run(query, capture_output=True, text=True, timeout=10).stdout.strip())

    def __enter__(self) -> GpuMemory:
        import threading

        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        if self._read:
            self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(0.02):
            used = self._read()
            self.peak_mib = used if self.peak_mib is None else max(self.peak_mib, used)

    def __exit__(self, *_) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()


def _ctranslate2_model(obj, depth: int = 3):
    """The ``ctranslate2.models.Whisper`` inside whatever ``model_fn`` returned."""
    import ctranslate2

    if isinstance(obj, ctranslate2.models.Whisper):
        return obj
    if depth == 0:
        return None
    for value in vars(obj).values() if hasattr(obj, "__dict__") else ():
        found = _ctranslate2_model(value, depth - 1)
        if found is not None:
            return found
    return None


def measure_one(compute_type: str, device: str, limit: int | None, model_dir: Path) -> dict:
    """Load through ``model_fn`` with this compute type, then time LCA's requests through the hooks."""
    os.environ["WHISPER_DEVICE"] = device
    if compute_type == "default":
        os.environ.pop("WHISPER_COMPUTE_TYPE", None)
    else:
        os.environ["WHISPER_COMPUTE_TYPE"] = compute_type
    from bench.lca_workload import lca_workload
    from inference import cuda_libs, handler
    from replay.clips import load_clips

    requests = lca_workload(load_clips())[:limit]
    layout = cuda_libs.ensure_cuda_libraries(device).layout
    with GpuMemory() as memory:
        start = time.perf_counter()
        model = handler.model_fn(str(model_dir))
        load_s = time.perf_counter() - start
        seconds, failures = [], 0
        for request in requests:
            start = time.perf_counter()
            data = handler.input_fn(request.body, "application/json")
            out = handler.output_fn(handler.predict_fn(data, model), "application/json")
            seconds.append(time.perf_counter() - start)
            answer = json.loads(out[0] if isinstance(out, tuple) else out)
            failures += "error" in answer or not isinstance(answer.get("text"), str)
    ct2 = _ctranslate2_model(model)
    return {
        "requested": compute_type, "device": getattr(ct2, "device", "?"),
        "compute_type": getattr(ct2, "compute_type", "?"), "cuda_libs": layout, "load_s": load_s,
        "requests": len(seconds), "p50_ms": 1000 * _percentile(seconds, 50),
        "p95_ms": 1000 * _percentile(seconds, 95), "failures": failures,
        "gpu_peak_mib": memory.peak_mib, "gpu_baseline_mib": memory.baseline_mib,
    }


def _percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    return statistics.quantiles(ordered, n=100, method="inclusive")[q - 1]


def measure(compute_types: Sequence[str], device: str, limit: int | None, model_dir: Path) -> list[dict]:
    """One fresh process per compute type (its own model, its own GPU memory), rows in order."""
    rows = []
    for compute_type in compute_types:
        command = [sys.executable, "-m", "bench.gpu_check", "one", "--compute-type", compute_type,
                   "--device", device, "--model-dir", str(model_dir)] + (["--requests", str(limit)] if limit else [])
        try:
            done = subprocess.run(command, cwd=REPO, stdout=subprocess.PIPE, text=True, timeout=300)
        except subprocess.TimeoutExpired as exc:
            raise RuntimeError(f"{compute_type}: the measuring process ran over {exc.timeout:.0f} s") from exc
        lines = done.stdout.strip().splitlines()
        if done.returncode != 0 or not lines:
            raise RuntimeError(f"{compute_type}: the measuring process failed with exit {done.returncode}")
        rows.append(json.loads(lines[-1]))
    return rows


def format_rows(rows: Sequence[dict]) -> str:
    header = ("requested", "device", "compute type", "cuda libs", "load s", "requests", "p50 ms", "p95 ms",
              "failures", "GPU peak MiB", "GPU before MiB")
    keys = ("requested", "device", "compute_type", "cuda_libs", "load_s", "requests", "p50_ms", "p95_ms",
            "failures", "gpu_peak_mib", "gpu_baseline_mib")
    table = [header] + [tuple(_cell(row[k]) for k in keys) for row in rows]
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in table)


def _cell(value) -> str:
    if value is None:
        return "n/a"
    return f"{value:.2f}" if isinstance(value, float) and value < 10 else (
        f"{value:.0f}" if isinstance(value, float) else str(value))


def _machine() -> str:
    import ctranslate2

    try:
        gpu = subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version", "--format=csv,noheader"],
                             capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        gpu = ""
    return (f"GPU: {gpu or 'none'}; CUDA devices seen by CTranslate2 {ctranslate2.__version__}: "
            f"{ctranslate2.get_cuda_device_count()}")


def _libs() -> int:
    from inference import cuda_libs

    try:
        report = cuda_libs.ensure_cuda_libraries("auto")
    except cuda_libs.CudaLibraryError as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 1
    print(f"cuda libs: {report.layout}; preloaded: {', '.join(report.preloaded) or 'nothing'}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.gpu_check", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    bundle = sub.add_parser("bundle", help="write the bundle the GPU machine needs (here, with PyPI)")
    bundle.add_argument("--out", type=Path, default=REPO / gpu_check_bundle.BUNDLE_DIR)
    sub.add_parser("libs", help="find or preload the CUDA libraries, print the layout")
    for name in ("measure", "one"):
        p = sub.add_parser(name, help="the table" if name == "measure" else argparse.SUPPRESS)
        p.add_argument("--device", default="auto", choices=("auto", "cuda", "cpu"))
        p.add_argument("--requests", type=int, default=None, help="only the first N requests")
        p.add_argument("--model-dir", type=Path, default=None)
        p.add_argument("--compute-type" if name == "one" else "--compute-types", default=(
            "default" if name == "one" else ",".join(COMPUTE_TYPES)))
    measure_parser = sub.choices["measure"]
    measure_parser.add_argument("--json", type=Path, help="also write the rows here")
    measure_parser.add_argument("--dry-run", action="store_true", help="CPU, the loader's default, 2 requests")
    args = parser.parse_args(argv)
    if args.command == "bundle":
        return gpu_check_bundle.main(args.out)
    if args.command == "libs":
        return _libs()
    from replay.clips import default_model_dir

    model_dir = args.model_dir or default_model_dir()
    if args.command == "one":
        print(json.dumps(measure_one(args.compute_type, args.device, args.requests, model_dir)))
        return 0
    if args.dry_run:
        args.device, args.compute_types, args.requests = "cpu", "default", 2
    compute_types = [c for c in args.compute_types.split(",") if c]
    bad = [c for c in compute_types if not re.fullmatch(r"default|[a-z0-9_]+", c)]
    if bad:
        parser.error(f"bad compute type {bad[0]!r}")
    print(_machine(), flush=True)
    try:
        rows = measure(compute_types, args.device, args.requests, model_dir)
    except RuntimeError as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 1
    print(format_rows(rows))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
