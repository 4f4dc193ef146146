"""``python -m inference serve --model-dir DIR [--host 127.0.0.1] [--port 8080]``.

Also runs as ``python -m whisper_inference serve ...`` from an extracted artifact's ``code/``.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import sys
from collections.abc import Sequence
from pathlib import Path


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=f"python -m {__package__ or 'inference'}",
                                     description="Whisper behind SageMaker's inference HTTP contract.",
                                     epilog="Settings: the WHISPER_* environment variables (inference/README.md). "
                                     "Exit status: 0 stopped, 1 failed, 2 usage error.")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve /ping, /invocations and /endpoints/NAME/invocations")
    serve.add_argument("--model-dir", type=Path, required=True,
                       help="CTranslate2 Whisper model directory (config.json, model.bin, ...)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8080, help="port (default 8080)")
    serve.add_argument("--workers", type=int, default=None,
                       help="inference threads and CTranslate2 workers (default WHISPER_WORKERS or 1)")
    serve.add_argument("--max-queue", type=int, default=None,
                       help="requests that may wait for a worker before 503 (default WHISPER_MAX_QUEUE or 8)")
    serve.add_argument("--debug", action="store_true", help="debug logging and tracebacks")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; 0 on a clean stop, 2 for usage errors, 1 for runtime failures."""
    parser = build_parser()
    args = parser.parse_args(argv)  # exits 2 on unknown options
    if args.workers is not None and args.workers < 1:
        parser.error("--workers must be at least 1")
    if args.max_queue is not None and args.max_queue < 0:
        parser.error("--max-queue must not be negative")
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("faster_whisper").setLevel(logging.WARNING)  # a line per request otherwise
    try:
        from .config import ServingConfig
        from .listener import serve
        from .model import MODEL_FILES
        from .server import create_app

        missing = [name for name in MODEL_FILES if not (args.model_dir / name).is_file()]
        if missing:
            raise FileNotFoundError(f"{args.model_dir} is not a CTranslate2 Whisper model "
                                    f"(missing {', '.join(missing)})")
        config = ServingConfig.from_env()
        overrides = {"workers": args.workers, "max_queue": args.max_queue}
        config = dataclasses.replace(config, **{k: v for k, v in overrides.items() if v is not None})
        serve(create_app(args.model_dir, config), args.host, args.port, config)
    except Exception as exc:  # a CLI: one line, the traceback only with --debug
        if args.debug:
            raise
        print(f"ERROR: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
