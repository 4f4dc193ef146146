"""``python -m replay``: replay telephone calls through LCA's Whisper call transcriber logic.

  python -m replay --url http://127.0.0.1:8080                 # a call made from the real clips
  python -m replay --endpoint-name my-endpoint [--wav call.wav] [--calls 4] [--speed 1]

Events (LCA's Kinesis records) go to stdout as JSON lines; progress and the summary go
to stderr.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

from inference.command_line import version_line

EPILOG = """\
The default call is made from the bundled real speech clips (scripts/setup.sh installs
them): caller and agent take turns with pauses; --calls N rotates the clips so calls
differ. --wav takes your own stereo 8 kHz 16-bit WAV (left caller, right agent).
Latency figures are real-time only at --speed 1.
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m replay", description=__doc__.splitlines()[0],
                                     epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=version_line("%(prog)s"))
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--url", help="a local server speaking the container contract (POST URL/invocations)")
    target.add_argument("--endpoint-name", help="a SageMaker endpoint, called with boto3 invoke_endpoint")
    parser.add_argument("--endpoint-url", help="with --endpoint-name: another SageMaker Runtime URL")
    parser.add_argument("--region", help="with --endpoint-name: AWS region (default: boto3's)")
    parser.add_argument("--wav", type=Path, help="your call: stereo 8 kHz 16-bit PCM WAV")
    parser.add_argument("--clips", help="comma-separated clip names for the made-up call (default: all)")
    parser.add_argument("--calls", type=int, default=1, help="simultaneous calls (default 1)")
    parser.add_argument("--speed", type=float, default=1.0, help="replay speed, call seconds per second")
    parser.add_argument("--stagger", type=float, default=0.7,
                        help="seconds between the starts of simultaneous calls (default 0.7)")
    parser.add_argument("--flavour", choices=("lambda", "websocket"), default="lambda",
                        help="which LCA transcriber to reproduce (default lambda: Chime Voice Connector)")
    parser.add_argument("--events", default="-", help="where to write the JSON-lines events (default stdout)")
    parser.add_argument("--save-wav", type=Path, help="also save the (first) replayed call as a stereo WAV")
    parser.add_argument("--summary-json", type=Path, help="also write the summary as JSON here")
    parser.add_argument("--debug", action="store_true", help="debug logging and tracebacks")
    return parser


def make_calls(args: argparse.Namespace) -> list:
    """The calls to replay, from --wav or from the clips."""
    from replay.call_source import read_call_wav, synthetic_call

    if args.wav:
        call = read_call_wav(args.wav)
        return [call] * args.calls
    from replay.clips import load_clips

    clips = load_clips(clip_names(args.clips) if args.clips else None)
    if not clips:
        raise ValueError("no clips selected")
    return [synthetic_call(clips[i % len(clips):] + clips[:i % len(clips)], name=f"call{i + 1}")
            for i in range(args.calls)]


def check_ping(url: str) -> None:
    """Fail early with a clear message when the local server is not serving."""
    ping = url.rstrip("/") + "/ping"
    try:
        with urllib.request.urlopen(ping, timeout=5) as response:
            response.read()
    except urllib.error.HTTPError as exc:
        raise RuntimeError(f"{ping} answered HTTP {exc.code}: the server is not ready") from exc
    except OSError as exc:
        raise RuntimeError(f"cannot reach {ping}: {exc}") from exc


def check_usage(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Reject option values that cannot work (argparse exits 2 with the message)."""
    if args.calls < 1:
        parser.error("--calls must be at least 1")
    if args.speed <= 0 or args.stagger < 0:
        parser.error("--speed must be positive and --stagger not negative")
    if args.endpoint_url and not args.endpoint_name:
        parser.error("--endpoint-url goes with --endpoint-name")
    if args.wav and args.clips:
        parser.error("--clips makes a call from the clips; --wav replays yours: choose one")
    if args.clips is not None and not clip_names(args.clips):
        parser.error("--clips names no clip")
    if args.clips:
        from replay.clips import load_clips

        try:
            load_clips(clip_names(args.clips))
        except KeyError as exc:
            parser.error(exc.args[0])
        except FileNotFoundError:
            pass  # the clips are not installed: a runtime failure, reported by the run


def clip_names(text: str) -> tuple[str, ...]:
    return tuple(n.strip() for n in text.split(",") if n.strip())


def main(argv: Sequence[str] | None = None) -> int:
    """Usage errors exit 2 (argparse), a replay that could not run or whose every request failed exits 1."""
    parser = build_parser()
    args = parser.parse_args(argv)
    check_usage(parser, args)
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        return _run(args)
    except KeyboardInterrupt:
        print("ERROR: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a CLI: one line, the traceback only with --debug
        if args.debug:
            raise
        print(f"ERROR: {exc}", file=sys.stderr)
        return 1


def _run(args: argparse.Namespace) -> int:
    from replay.call_source import write_call_wav
    from replay.events import JsonLinesSink
    from replay.flavours import FLAVOURS
    from replay.report import format_summary, summarise
    from replay.runner import replay_calls
    from replay.transport import HttpTransport, SageMakerTransport, make_runtime_client

    calls = make_calls(args)
    if args.save_wav:
        write_call_wav(calls[0], args.save_wav)
    if args.url:
        HttpTransport(args.url)  # validates the URL before anything starts
        check_ping(args.url)
        target = args.url

        def make_transport():
            return HttpTransport(args.url)
    else:
        client = make_runtime_client(args.endpoint_url, args.region, pool=args.calls)
        target = f"endpoint {args.endpoint_name}"

        def make_transport():
            return SageMakerTransport(args.endpoint_name, client=client)

    out = sys.stdout if args.events == "-" else open(args.events, "w", encoding="utf-8")
    try:
        print(f"replay: {len(calls)} call(s) of {calls[0].seconds:.1f} s to {target} "
              f"({args.flavour} transcriber, speed {args.speed:g}x)", file=sys.stderr)
        run = replay_calls(calls, make_transport, flavour=FLAVOURS[args.flavour], speed=args.speed,
                           stagger_s=args.stagger, sink=JsonLinesSink(out))
    finally:
        if out is not sys.stdout:
            out.close()
    summary = summarise(run)
    print(format_summary(summary, args.speed), file=sys.stderr)
    if args.summary_json:
        args.summary_json.write_text(json.dumps(asdict(summary), indent=2))
    if summary.requests and summary.failed_requests == summary.requests:
        first = next(r.error for res in run.results for r in res.requests if r.error)
        print(f"ERROR: every request failed, e.g. {first}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
