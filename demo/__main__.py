"""``python -m demo`` (``make demo``): the whole product on this machine, no AWS account, no internet.

Starts a local AWS, builds the artifact from the bundled tiny.en model into its S3,
deploys what can be deployed, serves the artifact as SageMaker would, replays a call
through LCA's client logic, streams it again through SageMaker's runtime (local) with AWS's
own client, and compares the two transports; then tears it all down.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

from inference.command_line import version_line


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demo", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=version_line("%(prog)s"))
    parser.add_argument("--quick", action="store_true",
                        help="a ~15 s call and an artifact without vendored wheels (what the tests run)")
    parser.add_argument("--model-dir", type=Path, help="CTranslate2 Whisper model (default: bundled tiny.en)")
    parser.add_argument("--work-dir", type=Path, help="keep the artifact, logs and events here")
    parser.add_argument("--result-json", type=Path, help="write the steps and figures as JSON here")
    args = parser.parse_args(argv)
    if args.model_dir and not (args.model_dir / "model.bin").is_file():
        parser.error(f"--model-dir {args.model_dir} holds no model.bin")

    from demo.checkout import checkout_root
    from demo.run import Demo, clean
    from replay.clips import installed_model_dir

    if checkout_root() is None:
        print("ERROR: the demo deploys this repository's Terraform (modules/, scripts/): run it in a clone "
              "(cd whisper-sagemaker && python -m demo)", file=sys.stderr)
        return 1
    try:
        model_dir = args.model_dir or installed_model_dir()
    except FileNotFoundError as exc:
        print(f"ERROR: {exc} (make demo does)", file=sys.stderr)
        return 1
    work = args.work_dir or Path(tempfile.mkdtemp(prefix="whisper-demo-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"whisper-sagemaker demo{' (quick)' if args.quick else ''}: work directory {work}")
    # `timeout`, CI and service managers stop with SIGTERM: turn it into an interrupt so the
    # teardown still runs and nothing is left behind.
    signal.signal(signal.SIGTERM, _interrupt)
    result = Demo(work, model_dir, quick=args.quick).run()
    if args.result_json:
        args.result_json.write_text(json.dumps(asdict(result), indent=2))
    if not args.work_dir and result.ok:
        clean(work)
    if not result.ok:
        print(f"ERROR: {result.error} (logs in {work})", file=sys.stderr)
        return 1
    if result.leftovers:
        print(f"ERROR: teardown left things behind: {'; '.join(result.leftovers)}", file=sys.stderr)
        return 1
    print("\ndemo finished: every step succeeded and nothing is left running")
    return 0


if __name__ == "__main__":
    sys.exit(main())
