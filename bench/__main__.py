"""``python -m bench [NAME ...]``: run the benchmarks, each printing its own table.

NAME is any of ``inference`` (handler latency/WER vs LCA's original), ``builder``
(package+upload vs plain boto3, no-op rebuild), ``capacity`` (simultaneous LCA calls
per instance vs the original), ``phantoms`` (phantom words and lost finals on LCA's
request stream, ours vs the original), ``partial-policies`` (what a live partial shows:
phantom words against words shown, per hold-back policy), ``corpus-wer`` (WER with 95 % intervals per
source on the larger multi-speaker corpus; the longest, ~10 min on 2 cores) and
``long-recording`` (a 10-minute two-channel call: real-time factor, WER and peak memory
vs faster-whisper's plain transcribe); none means all seven. Each is also runnable alone as
``python -m bench.<module>`` with its own options.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

from inference.command_line import version_line

BENCHMARKS = {
    "inference": "bench.inference_latency",
    "builder": "bench.builder_upload",
    "capacity": "bench.capacity",
    "phantoms": "bench.phantom_rate",
    "partial-policies": "bench.partial_policies",
    "corpus-wer": "bench.corpus_wer",
    "long-recording": "bench.long_recording",
}


def main(argv: Sequence[str] | None = None) -> int:
    names = list(sys.argv[1:] if argv is None else argv) or list(BENCHMARKS)
    if names == ["--version"]:
        print(version_line("python -m bench"))
        return 0
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        print(f"ERROR: unknown benchmark {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}",
              file=sys.stderr)
        return 2
    worst = 0
    for name in names:
        print(f"\n== {name} ({BENCHMARKS[name]}) ==", flush=True)
        worst = max(worst, importlib.import_module(BENCHMARKS[name]).main([]))
    return worst


if __name__ == "__main__":
    sys.exit(main())
