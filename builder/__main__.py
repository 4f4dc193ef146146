"""``python -m builder``: build, plan and list Whisper model artifacts for SageMaker.

Only this module configures logging and turns errors into one ``ERROR:`` line.
Heavy libraries (boto3, huggingface_hub, tqdm) are imported by ``build`` only,
so ``plan`` and ``list-models`` run on the standard library alone.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

from inference.command_line import Renamed, version_line

from . import ARTIFACT_FORMAT
from .errors import BuilderError, Terminated, UsageError
from .models import MODELS
from .plan import LAYOUTS, WHEEL_MODES, Selection, plan

DESCRIPTION = """\
Package OpenAI Whisper (CTranslate2 weights for faster-whisper) as a SageMaker model artifact.

  python -m builder list-models
  python -m builder build --model-size large-v3 --output out/ --bucket my-bucket
  python -m builder plan  --model-size large-v3 --bucket my-bucket     # key only, offline

The artifact (model.tar.gz) holds the weights, the inference handler (code/)
and the Python wheels it needs, so the endpoint starts without internet. It is
byte-reproducible and stored at s3://BUCKET/PREFIX/<content key>/model.tar.gz,
where the content key hashes every input: an unchanged rebuild does nothing.
"""

EPILOG = """\
environment: HF_TOKEN (private or gated Hub repos), HF_HUB_OFFLINE=1 (build from the
Hugging Face cache only), HF_HUB_CACHE, AWS_PROFILE / AWS_ACCESS_KEY_ID / AWS_REGION,
WHISPER_SAGEMAKER_CACHE (wheel cache, default ~/.cache/whisper-sagemaker).

exit status: 0 done, 1 failed, 2 usage error, 130 interrupted (SIGINT), 143 terminated
(SIGTERM); an interrupted build removes its partial files and aborts its multipart upload.
"""

QUERY_KEYS = {"model_size", "model_dir", "hf_repo", "revision", "bucket", "prefix", "layout", "wheels",
              "gzip_level", "handler_dir"}


def _add_selection(parser: argparse.ArgumentParser) -> None:
    source = parser.add_argument_group("model (choose one)")
    source.add_argument("--model-size", metavar="SIZE",
                        help=f"a supported size: {', '.join(MODELS)}")
    source.add_argument("--hf-repo", metavar="REPO", help="any CTranslate2 Whisper repo on the Hub, e.g. "
                        "Systran/faster-whisper-large-v3")
    source.add_argument("--model-dir", type=Path, metavar="DIR",
                        help="a local CTranslate2 Whisper directory (config.json, model.bin, ...)")
    source.add_argument("--revision", help="Hub commit, branch or tag (default: the pinned commit for "
                        "--model-size, main for --hf-repo)")
    shape = parser.add_argument_group("artifact")
    shape.add_argument("--layout", choices=LAYOUTS, default="tar.gz",
                       help="tar.gz (default), or uncompressed: plain files for SageMaker's "
                       "CompressionType None, which loads large models faster")
    shape.add_argument("--wheels", choices=WHEEL_MODES, default="vendor",
                       help="vendor (default): ship the runtime wheels in code/wheels; none: ship no "
                       "requirements (for images that already have faster-whisper)")
    shape.add_argument("--gzip-level", type=int, default=0, metavar="0-9",
                       help="gzip level for tar.gz (default 0: store; weights barely compress)")
    shape.add_argument("--handler-dir", type=Path, metavar="DIR",
                       help="the handler package to ship as code/whisper_inference (default: this "
                       "repo's inference package)")
    s3 = parser.add_argument_group("S3")
    s3.add_argument("--bucket", help="upload to this bucket (build) / include its URI (plan)")
    s3.add_argument("--prefix", default="whisper", help="key prefix (default: whisper)")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m builder", description=DESCRIPTION, epilog=EPILOG,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=version_line("%(prog)s"))
    parser.add_argument("--artifact-format", action="version", version=ARTIFACT_FORMAT,
                        help="print the artifact format (the salt every content key pins) and exit")
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    build = commands.add_parser("build", help="fetch, package and (with --bucket) upload an artifact",
                                description="Fetch the weights, write OUTPUT/model.tar.gz and "
                                "OUTPUT/manifest.json, and upload them when --bucket is given.")
    _add_selection(build)
    build.add_argument("--output", type=Path, required=True, metavar="DIR", help="where to write the artifact")
    build.add_argument("--kms-key-id", metavar="KEY", help="encrypt with this KMS key (default: SSE-S3 AES256)")
    build.add_argument("--s3-endpoint-url", "--endpoint-url", action=Renamed, old="--endpoint-url", metavar="URL",
                       help="an S3-compatible endpoint to upload to (default: AWS S3; --endpoint-url: its former "
                       "spelling, deprecated)")
    build.add_argument("--region", help="AWS region (default: from the environment)")
    build.add_argument("--offline", action="store_true", help="use the Hugging Face cache only "
                       "(same as HF_HUB_OFFLINE=1)")
    build.add_argument("--no-progress", action="store_true", help="no progress bars (off anyway when "
                       "stderr is not a terminal)")

    plan_cmd = commands.add_parser("plan", help="print the content key as JSON, offline, without building",
                                   description="Print one JSON object (all values strings) naming the "
                                   "artifact a build would produce. Reads nothing from the network.")
    _add_selection(plan_cmd)
    plan_cmd.add_argument("--stdin", action="store_true",
                          help="read the options as a JSON object on stdin (for "
                          f"scripts that pass a query); keys: {', '.join(sorted(QUERY_KEYS))}")

    models = commands.add_parser("list-models", help="list supported sizes, repos and pinned revisions")
    models.add_argument("--json", action="store_true", help="machine-readable output")
    commands.add_parser("lock-wheels", help="re-resolve builder/runtime-requirements.in into "
                        "builder/wheels.lock (maintainers)")
    return parser


def _selection(args: argparse.Namespace) -> Selection:
    return Selection(model_size=args.model_size, model_dir=args.model_dir, hf_repo=args.hf_repo,
                     revision=args.revision, handler_dir=args.handler_dir, wheels=args.wheels,
                     layout=args.layout, gzip_level=args.gzip_level)


def _apply_query(args: argparse.Namespace) -> None:
    try:
        query = json.loads(sys.stdin.read() or "{}")
    except ValueError as error:
        raise UsageError(f"stdin is not a JSON object: {error}") from None
    if not isinstance(query, dict):
        raise UsageError("stdin must hold a JSON object")
    unknown = sorted(set(query) - QUERY_KEYS)
    if unknown:
        raise UsageError(f"unknown query keys: {', '.join(unknown)}")
    for key, value in query.items():
        if value in ("", None):
            continue
        if key in ("model_dir", "handler_dir"):
            value = Path(value)
        elif key == "gzip_level":
            value = int(value)
        setattr(args, key, value)


def _list_models(as_json: bool) -> None:
    rows = [{"size": s.size, "repo": s.repo, "revision": s.revision} for s in MODELS.values()]
    if as_json:
        print(json.dumps(rows, indent=2))
        return
    width = max(len(r["size"]) for r in rows)
    repo_width = max(len(r["repo"]) for r in rows)
    for row in rows:
        print(f"{row['size']:<{width}}  {row['repo']:<{repo_width}}  {row['revision']}")


def _build(args: argparse.Namespace) -> None:
    progress = not args.no_progress and sys.stderr.isatty()
    if not progress:
        os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"
    from .build import Options, build
    from .upload import Destination

    destination = None
    if args.bucket:
        destination = Destination(args.bucket, args.prefix, args.kms_key_id, args.s3_endpoint_url, args.region)
    options = Options(output=args.output, destination=destination, progress=progress,
                      hf_token=os.environ.get("HF_TOKEN") or None, offline=True if args.offline else None)
    document = build(_selection(args), options)
    where = document["s3"]["uri"] if document["s3"] else str(args.output / (document["artifact"]["file"] or ""))
    logging.getLogger("builder").info("artifact %s (%d bytes, sha256 %s) -> %s", document["content_key"],
                                      document["artifact"]["bytes"], document["artifact"]["sha256"], where)
    print(json.dumps(document, indent=2, sort_keys=True))


def _check_usage(args: argparse.Namespace) -> None:
    """Contradictory or unknown options, before any work (UsageError: exit 2)."""
    try:
        if args.command == "plan" and args.stdin:
            _apply_query(args)
        if args.command in ("plan", "build"):
            _selection(args).validate()
    except BuilderError as error:
        raise UsageError(str(error)) from None
    if args.command == "build" and args.kms_key_id and not args.bucket:
        raise UsageError("--kms-key-id needs --bucket")


def _run(args: argparse.Namespace) -> None:
    _check_usage(args)
    if args.command == "list-models":
        _list_models(args.json)
    elif args.command == "plan":
        print(json.dumps(plan(_selection(args), args.bucket, args.prefix), sort_keys=True))
    elif args.command == "lock-wheels":
        from .wheels import lock

        print(lock())
    else:
        _build(args)


def _terminate(signum, frame) -> None:
    raise Terminated()


def _os_error(error: OSError) -> str:
    """``[Errno 17] File exists: 'out'`` -> ``cannot use out: File exists`` (both paths for a rename)."""
    where = " -> ".join(str(p) for p in (error.filename, error.filename2) if p is not None)
    reason = error.strerror or str(error)
    return f"cannot use {where}: {reason}" if where else reason


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status: 0, 1 (failure), 2 (usage), 130/143 (SIGINT/SIGTERM)."""
    args = _parser().parse_args(argv)  # exits 2 on unknown options
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.INFO, format="%(levelname)s: %(message)s",
                        stream=sys.stderr)
    previous = signal.signal(signal.SIGTERM, _terminate) if _main_thread() else None
    try:
        _run(args)
    except UsageError as error:
        print(f"ERROR: {error}", file=sys.stderr)
        return 2
    except BuilderError as error:
        if args.debug:
            traceback.print_exc()
        print(f"ERROR: {error}", file=sys.stderr)
        return 1
    except Terminated:
        print("ERROR: terminated (SIGTERM); partial files and uploads were cleaned up", file=sys.stderr)
        return 143
    except KeyboardInterrupt:
        print("ERROR: interrupted; partial files and uploads were cleaned up", file=sys.stderr)
        return 130
    except OSError as error:  # the file system said no: --output is a file, unwritable, full...
        if args.debug:
            traceback.print_exc()
        print(f"ERROR: {_os_error(error)}", file=sys.stderr)
        return 1
    except Exception as error:  # a bug, not a user error: keep it one line unless --debug
        if args.debug:
            traceback.print_exc()
        print(f"ERROR: unexpected {type(error).__name__}: {error} (run with --debug for the traceback)",
              file=sys.stderr)
        return 1
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    return 0


def _main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


if __name__ == "__main__":
    sys.exit(main())
