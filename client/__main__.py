"""``python -m client transcribe RECORDING --endpoint-name NAME --bucket BUCKET`` (``whisper-transcribe``).

Progress goes to stderr, the transcript to stdout or ``--output``. Exit status: 0 done,
1 failed (one ``ERROR:`` line; ``--debug`` shows the traceback), 2 usage error, 130 interrupted.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from inference.command_line import Renamed, version_line
from inference.formats import FORMATS  # the response formats the endpoint renders (one list)

from .recording import CONTENT_TYPES, Job, transcribe

EPILOG = """\
The recording is uploaded to s3://BUCKET/PREFIX/inputs/<sha256>.<ext> (once per content),
the endpoint is invoked asynchronously (InvokeEndpointAsync), and the result is read from
the output location the endpoint names, or the failure from its failure location.
AWS credentials, region and endpoints come from the standard AWS environment
(AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL, ...).
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m client", description="Transcribe recordings on a Whisper "
                                     "SageMaker endpoint with asynchronous inference.")
    parser.add_argument("--version", action="version", version=version_line("%(prog)s"))
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("transcribe", help="transcribe one recording", epilog=EPILOG,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    run.add_argument("recording", type=Path, help=f"the audio file ({', '.join(CONTENT_TYPES)})")
    run.add_argument("--endpoint-name", "--endpoint", action=Renamed, old="--endpoint", required=True,
                     help="the endpoint's name (--endpoint: its former spelling, deprecated)")
    run.add_argument("--bucket", required=True, help="S3 bucket the recording is uploaded to")
    run.add_argument("--prefix", default="whisper-transcribe", help="key prefix (default whisper-transcribe)")
    run.add_argument("--format", choices=FORMATS, default=None,
                     help="transcript format (default: the endpoint's JSON)")
    run.add_argument("--channels", choices=("mix", "separate"), default="mix",
                     help="separate: transcribe each channel on its own, labelled (default mix)")
    run.add_argument("--channel-names", metavar="A,B", help="labels for --channels separate, e.g. agent,caller")
    run.add_argument("--output", type=Path, help="write the transcript here (default stdout)")
    run.add_argument("--timeout", type=float, default=900.0, metavar="S",
                     help="seconds to wait for the result (default 900)")
    run.add_argument("--endpoint-url", help="SageMaker Runtime URL, e.g. a local server http://127.0.0.1:8080")
    run.add_argument("--debug", action="store_true", help="show tracebacks")
    return parser


def job_from(args: argparse.Namespace, parser: argparse.ArgumentParser) -> Job:
    """The arguments as a :class:`Job`; exits 2 on a usage error."""
    if not args.recording.is_file():
        parser.error(f"{args.recording} is not a file")
    if args.recording.suffix.lower() not in CONTENT_TYPES:
        parser.error(f"cannot tell the audio format of {args.recording.name} from its name "
                     f"({', '.join(CONTENT_TYPES)})")
    if not args.timeout > 0:
        parser.error("--timeout must be positive")
    names = None
    if args.channel_names is not None:
        if args.channels != "separate":
            parser.error("--channel-names needs --channels separate")
        names = tuple(n.strip() for n in args.channel_names.split(","))
        if not all(n and n.isascii() and n.isprintable() and not set(n) & set(";=") for n in names):
            parser.error("--channel-names must be comma-separated ASCII names without ';' or '='")
    return Job(recording=args.recording, endpoint=args.endpoint_name, bucket=args.bucket, prefix=args.prefix,
               response_format=args.format, channels=args.channels, channel_names=names, timeout_s=args.timeout,
               endpoint_url=args.endpoint_url)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; 0 done, 1 failed, 2 usage error."""
    parser = build_parser()
    args = parser.parse_args(argv)
    job = job_from(args, parser)
    try:
        transcript = transcribe(job, lambda line: print(line, file=sys.stderr, flush=True))
        if args.output:
            args.output.write_bytes(transcript)
        else:
            sys.stdout.buffer.write(transcript)
            sys.stdout.flush()
    except KeyboardInterrupt:
        print("ERROR: interrupted; the endpoint may still write the result", file=sys.stderr)
        return 130
    except Exception as exc:  # a CLI: one line, the traceback only with --debug
        if args.debug:
            raise
        print(f"ERROR: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
