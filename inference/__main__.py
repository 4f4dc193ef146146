"""``python -m inference serve --model-dir DIR [--host 127.0.0.1] [--port 8080] [--async-output-path S3]``.

Also runs as ``python -m whisper_inference serve ...`` from an extracted artifact's ``code/``.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from .command_line import version_line


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=f"python -m {__package__ or 'inference'}",
                                     description="Whisper behind SageMaker's inference HTTP contract.",
                                     epilog="Settings: the WHISPER_* environment variables (inference/README.md). "
                                     "Exit status: 0 stopped, 1 failed, 2 usage error.")
    parser.add_argument("--version", action="version", version=version_line("%(prog)s"))
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
    add_async_arguments(serve)
    return parser


def add_async_arguments(serve: argparse.ArgumentParser) -> None:
    """SageMaker's asynchronous inference, emulated: the route exists only with an output path."""
    group = serve.add_argument_group(
        "asynchronous inference", "POST /endpoints/NAME/async-invocations (boto3 invoke_endpoint_async); "
        "S3 and SNS are reached through the standard AWS environment (AWS_ENDPOINT_URL, ...)")
    group.add_argument("--async-output-path", metavar="S3_URI",
                       help="s3://bucket[/prefix] for results; enables the asynchronous route")
    group.add_argument("--async-failure-path", metavar="S3_URI", help="s3://bucket[/prefix] for failures")
    group.add_argument("--async-success-topic", metavar="ARN", help="SNS topic notified of each success")
    group.add_argument("--async-error-topic", metavar="ARN", help="SNS topic notified of each failure")
    group.add_argument("--async-max-concurrent", type=int, default=None, metavar="N",
                       help="asynchronous requests sent to the model at once (default: --workers)")
    group.add_argument("--async-max-queue", type=int, default=64, metavar="N",
                       help="asynchronous requests that may wait before 503 ServiceUnavailable (default 64)")


def async_settings(args: argparse.Namespace, workers: int):
    """The asynchronous settings, or None when no output path was given.

    Raises:
        ValueError: an asynchronous flag without an output path, or a malformed value.
    """
    extra = [flag for flag, value in (("--async-failure-path", args.async_failure_path),
                                      ("--async-success-topic", args.async_success_topic),
                                      ("--async-error-topic", args.async_error_topic),
                                      ("--async-max-concurrent", args.async_max_concurrent)) if value is not None]
    if args.async_output_path is None:
        if extra:
            raise ValueError(f"{extra[0]} needs --async-output-path")
        return None
    try:
        from .async_invocations import AsyncSettings
    except ImportError:  # an artifact's code/: the endpoint never runs the emulation, so it is not shipped
        raise ValueError("asynchronous inference is emulated only by the local server (python -m inference "
                         "from the project); on SageMaker, configure it on the endpoint") from None

    return AsyncSettings(output_path=args.async_output_path, failure_path=args.async_failure_path,
                         success_topic=args.async_success_topic, error_topic=args.async_error_topic,
                         max_concurrent=args.async_max_concurrent or workers,
                         max_queue=args.async_max_queue).checked()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; 0 on a clean stop, 2 for usage errors, 1 for runtime failures."""
    parser = build_parser()
    args = parser.parse_args(argv)  # exits 2 on unknown options
    if args.workers is not None and args.workers < 1:
        parser.error("--workers must be at least 1")
    if args.max_queue is not None and args.max_queue < 0:
        parser.error("--max-queue must not be negative")
    if args.async_max_concurrent is not None and args.async_max_concurrent < 1:
        parser.error("--async-max-concurrent must be at least 1")
    if args.async_max_queue < 0:
        parser.error("--async-max-queue must not be negative")
    try:
        asynchronous = async_settings(args, 1)  # checked now (usage errors); the workers are known later
    except ValueError as exc:
        parser.error(str(exc))
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
        routes = []
        if asynchronous is not None:
            from .async_invocations import AsyncInvocations

            concurrent = args.async_max_concurrent or config.workers
            routes = AsyncInvocations(dataclasses.replace(asynchronous, max_concurrent=concurrent,
                                                          max_input_bytes=config.max_payload_bytes)).routes()
        serve(create_app(args.model_dir, config, extra_routes=routes), args.host, args.port, config)
    except Exception as exc:  # a CLI: one line, the traceback only with --debug
        if args.debug:
            raise
        print(f"ERROR: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
