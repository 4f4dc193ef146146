"""Builder throughput: package + upload vs a plain boto3 ``upload_file`` of the same bytes.

Usage: python -m bench.builder_upload [--reps N] [--wheels vendor|none]

Starts its own local S3 (moto server via scripts/local_aws.py), builds the
real tiny.en artifact and, in the same run and against the same server,
measures:
  * baseline: ``boto3.client("s3").upload_file`` of the finished model.tar.gz;
  * ours: ``builder.build`` from the model directory to S3 (packaging, hashing
    and upload together), throughput = artifact bytes / wall time;
  * a no-op rebuild (nothing changed: key computed, local artifact re-hashed,
    no upload) in-process and as a full ``python -m builder build`` process.
Targets: ours / baseline >= 0.8; no-op rebuild < 1 s plus hashing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from builder.digest import sha256_file
from replay.clips import installed_model_dir

REPO_ROOT = Path(__file__).resolve().parent.parent


def _handler_dir(scratch: Path) -> tuple[Path, str]:
    """The real inference package when present, else a labelled stand-in of similar size."""
    from builder.errors import BuilderError
    from builder.layout import default_handler_dir, handler_files

    try:
        path = default_handler_dir()
        handler_files(path)
        return path, "inference/"
    except BuilderError:
        stand_in = scratch / "handler"
        stand_in.mkdir()
        (stand_in / "__init__.py").write_text("")
        (stand_in / "handler.py").write_text("# stand-in\n" * 2000)
        return stand_in, "stand-in (inference/ not written yet)"


def _start_s3() -> tuple[subprocess.Popen, str]:
    env = dict(os.environ, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
               AWS_DEFAULT_REGION="us-east-1")
    proc = subprocess.Popen([sys.executable, str(REPO_ROOT / "scripts" / "local_aws.py")],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    line = proc.stdout.readline().strip()
    if not line.startswith("ready "):
        proc.kill()
        sys.exit(f"ERROR: local S3 did not start: {line!r}")
    os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                      AWS_DEFAULT_REGION="us-east-1")
    return proc, line.split(" ", 1)[1]


def _sha256_seconds(path: Path) -> float:
    """How long the builder's own hash takes on ``path``."""
    start = time.perf_counter()
    sha256_file(path)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--wheels", choices=("vendor", "none"), default="vendor")
    args = parser.parse_args(argv)
    if args.reps < 1:
        parser.error("--reps must be at least 1")
    try:
        model_dir = installed_model_dir()
    except FileNotFoundError as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 1

    import boto3

    from builder.build import Options, build
    from builder.plan import Selection
    from builder.upload import Destination

    proc, endpoint = _start_s3()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            scratch = Path(tmp)
            handler, handler_label = _handler_dir(scratch)
            selection = Selection(model_dir=model_dir, handler_dir=handler, wheels=args.wheels)
            s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
            s3.create_bucket(Bucket="bench")
            build(selection, Options(output=scratch / "warm"))  # warm the wheel and page caches
            artifact = scratch / "warm" / "model.tar.gz"
            size = artifact.stat().st_size

            baseline, ours, package = [], [], []
            for rep in range(args.reps):
                start = time.perf_counter()
                build(selection, Options(output=scratch / f"local{rep}"))
                package.append(time.perf_counter() - start)
                start = time.perf_counter()
                s3.upload_file(str(artifact), "bench", f"baseline/{rep}/model.tar.gz")
                baseline.append(time.perf_counter() - start)
                start = time.perf_counter()
                build(selection, Options(output=scratch / f"ours{rep}",
                                         destination=Destination("bench", f"ours{rep}", endpoint_url=endpoint)))
                ours.append(time.perf_counter() - start)

            noop_out = scratch / "ours0"
            start = time.perf_counter()
            build(selection, Options(output=noop_out,
                                     destination=Destination("bench", "ours0", endpoint_url=endpoint)))
            noop_inprocess = time.perf_counter() - start
            command = [sys.executable, "-m", "builder", "build", "--model-dir", str(selection.model_dir),
                       "--handler-dir", str(handler), "--wheels", args.wheels, "--output", str(noop_out),
                       "--bucket", "bench", "--prefix", "ours0", "--s3-endpoint-url", endpoint]
            start = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True, cwd=REPO_ROOT)
            noop_cli = time.perf_counter() - start
            # What a no-op must hash: the model files (for the key) and the local artifact.
            hashing = _sha256_seconds(artifact) + sum(_sha256_seconds(p) for p in selection.model_dir.iterdir())
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        proc.stdout.close()

    print_report(args, handler_label, size, baseline, ours, package, noop_inprocess, noop_cli, hashing)
    return 0


def print_report(args: argparse.Namespace, handler_label: str, size: int, baseline: list[float], ours: list[float],
                 package: list[float], noop_inprocess: float, noop_cli: float, hashing: float) -> None:
    mib = size / (1 << 20)
    base_tp, ours_tp = mib / statistics.median(baseline), mib / statistics.median(ours)
    load = os.getloadavg()[0]
    print(f"builder upload bench: tiny.en artifact {mib:.1f} MiB (wheels={args.wheels}, handler={handler_label}), "
          f"local moto S3, {args.reps} reps, medians, load average {load:.1f} on {os.cpu_count()} CPUs")
    print(f"{'measure':<44}{'seconds':>10}{'MiB/s':>10}")
    print(f"{'baseline: boto3 upload_file of the tar.gz':<44}{statistics.median(baseline):>10.2f}{base_tp:>10.1f}")
    print(f"{'ours: builder build (package + upload)':<44}{statistics.median(ours):>10.2f}{ours_tp:>10.1f}")
    print(f"{'  of which packaging alone (local build)':<44}{statistics.median(package):>10.2f}")
    print(f"{'throughput ratio ours/baseline (target >= 0.8)':<44}{ours_tp / base_tp:>10.2f}")
    print(f"{'no-op rebuild, in-process':<44}{noop_inprocess:>10.2f}")
    print(f"{'no-op rebuild, python -m builder process':<44}{noop_cli:>10.2f}")
    print(f"{'  of which hashing (model files + artifact)':<44}{hashing:>10.2f}")
    print(f"{'no-op minus hashing (target < 1 s)':<44}{noop_cli - hashing:>10.2f}")


if __name__ == "__main__":
    sys.exit(main())
