"""Ours vs LCA's original handler on LCA's real workload, same model, same machine, one run.

    python -m bench.inference_latency [--quick] [--json PATH] [--check]
    python -m bench.inference_latency --sweep [--candidates defaults|window] [--ours MODULE]

Prints p50/p95 latency over every request (partials and finals), throughput with 1 and
N concurrent callers, WER of the finals, and the time to decode a 50 s ``audio_input``
payload, next to the targets below. ``--sweep`` instead measures candidate request
defaults for our handler (latency and WER per setting).
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench import lca_workload, original_handler
from bench.handler_runner import HookHandler, Run, format_table, median_seconds, run_concurrent, run_interleaved
from bench.phantom_rate import run_phantoms
from replay.clips import QUICK_CLIPS, installed_model_dir, load_clips

logger = logging.getLogger("bench.inference_latency")

OURS_MODULE = "inference.handler"
# The targets: p50 at most 0.6x the original's, a 50 s payload decoded in 20 ms.
P50_RATIO_TARGET = 0.6
DECODE_TARGET_S = 0.020
LONG_PAYLOAD_S = 50.0


@dataclass
class Comparison:
    """Everything the table shows, in seconds and fractions."""

    workload: str
    one_caller: list[Run]  # [baseline, ours]
    many_callers: list[Run]
    callers: int
    wers: list[float]
    decode_seconds: list[float]
    phantoms: list  # replay.phantoms.PhantomTally per handler, same order

    def targets(self) -> dict[str, bool]:
        base, ours = self.one_caller
        return {
            "p50": ours.percentile(50) <= P50_RATIO_TARGET * base.percentile(50),
            "wer": self.wers[1] <= self.wers[0],
            "decode": self.decode_seconds[1] < DECODE_TARGET_S,
        }

    def as_dict(self) -> dict:
        names = [r.handler for r in self.one_caller]
        return {
            "workload": self.workload,
            "callers": self.callers,
            "targets_met": self.targets(),
            **{
                name: {
                    "p50_ms": 1000 * one.percentile(50),
                    "p95_ms": 1000 * one.percentile(95),
                    "throughput_1": one.throughput,
                    f"throughput_{self.callers}": many.throughput,
                    f"p50_ms_{self.callers}_callers": 1000 * many.percentile(50),
                    "wer": w,
                    "decode_50s_ms": 1000 * d,
                    "failures": one.failures + many.failures,
                    "finals": one.final_texts(),
                    "phantom_partials": [p.phantom_partials, p.partials],
                    "phantom_finals": [p.phantom_finals, p.finals],
                }
                for name, one, many, w, d, p in zip(
                    names, self.one_caller, self.many_callers, self.wers, self.decode_seconds, self.phantoms,
                    strict=True,
                )
            },
        }


def load_ours(model_dir: Path, module: str = OURS_MODULE) -> tuple[HookHandler, object]:
    """Our handler and its payload decoder (raw body -> what ``predict_fn`` takes)."""
    hooks = importlib.import_module(module)
    handler = HookHandler.load("ours", hooks, model_dir)
    return handler, lambda body: hooks.input_fn(body, "application/json")


def workload_label(clips: Sequence, requests: Sequence) -> str:
    finals = sum(1 for r in requests if r.final)
    speech = sum(c.seconds for c in clips)
    return (
        f"LCA workload: {len(clips)} clips ({speech:.1f} s of speech), {len(requests)} requests "
        f"({len(requests) - finals} partials every 1 s + {finals} finals), 8 kHz upsampled by repetition"
    )


def compare(model_dir: Path, clips: Sequence, callers: int, ours_module: str = OURS_MODULE) -> Comparison:
    """Run both handlers over the LCA workload of ``clips``."""
    requests = lca_workload.lca_workload(clips)
    baseline = HookHandler.load("baseline", original_handler, model_dir)
    ours, ours_decode = load_ours(model_dir, ours_module)
    handlers = [baseline, ours]
    for h in handlers:  # first-call costs (lazy VAD model load, allocator warm-up) are not per-request
        h.invoke(requests[0].body)

    logger.info("1 caller: %d requests, interleaved between the handlers", len(requests))
    one = run_interleaved(handlers, requests)
    many = []
    for h in handlers:
        logger.info("%d callers: %s", callers, h.name)
        many.append(run_concurrent(h, requests, callers))

    references = {c.name: c.reference for c in clips}
    payload = lca_workload.long_payload(load_clips(), LONG_PAYLOAD_S)
    decode = [
        median_seconds(lambda: original_handler.decode_audio_input(payload)),
        median_seconds(lambda: ours_decode(payload)),
    ]
    return Comparison(
        workload_label(clips, requests), one, many, callers, [r.wer(references) for r in one], decode,
        [run_phantoms(r, references) for r in one],
    )


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def format_comparison(c: Comparison) -> str:
    base, ours = c.one_caller
    mbase, mours = c.many_callers
    met = c.targets()
    rows = [
        ("metric", "baseline", "ours", "ours/base", "target"),
        ("p50 latency, ms", f"{1000 * base.percentile(50):.0f}", f"{1000 * ours.percentile(50):.0f}",
         f"{ours.percentile(50) / base.percentile(50):.2f}x",
         f"<= {P50_RATIO_TARGET:.2f}x  {_verdict(met['p50'])}"),
        ("p95 latency, ms", f"{1000 * base.percentile(95):.0f}", f"{1000 * ours.percentile(95):.0f}",
         f"{ours.percentile(95) / base.percentile(95):.2f}x", ""),
        ("throughput, 1 caller, req/s", f"{base.throughput:.2f}", f"{ours.throughput:.2f}",
         f"{ours.throughput / base.throughput:.2f}x", ""),
        (f"throughput, {c.callers} callers, req/s", f"{mbase.throughput:.2f}", f"{mours.throughput:.2f}",
         f"{mours.throughput / mbase.throughput:.2f}x", ""),
        (f"p50 latency, {c.callers} callers, ms", f"{1000 * mbase.percentile(50):.0f}",
         f"{1000 * mours.percentile(50):.0f}", f"{mours.percentile(50) / mbase.percentile(50):.2f}x", ""),
        ("WER on finals", f"{100 * c.wers[0]:.1f}%", f"{100 * c.wers[1]:.1f}%", "",
         f"<= baseline  {_verdict(met['wer'])}"),
        (f"decode {LONG_PAYLOAD_S:.0f} s audio_input, ms", f"{1000 * c.decode_seconds[0]:.1f}",
         f"{1000 * c.decode_seconds[1]:.1f}", f"{c.decode_seconds[1] / c.decode_seconds[0]:.2f}x",
         f"< {1000 * DECODE_TARGET_S:.0f} ms  {_verdict(met['decode'])}"),
        ("phantom partials", *(f"{p.phantom_partials}/{p.partials}" for p in c.phantoms), "",
         "words in neither reference nor final"),
        ("phantom finals", *(f"{p.phantom_finals}/{p.finals}" for p in c.phantoms), "", "words not in the reference"),
        ("answers LCA loses", str(base.failures + mbase.failures), str(ours.failures + mours.failures), "", "0"),
    ]
    return c.workload + "\n" + format_table(rows)


def machine_label() -> str:
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    return f"{os.cpu_count()} CPUs, python {sys.version.split()[0]}, {when}"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.inference_latency", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help=f"only the clips {', '.join(QUICK_CLIPS)}")
    parser.add_argument("--sweep", action="store_true", help="measure candidate defaults of our handler instead")
    parser.add_argument("--candidates", choices=("defaults", "window"), default="defaults",
                        help="with --sweep: request defaults of our handler, or encoder windows (use with "
                             "--ours bench.window_probe)")
    parser.add_argument("--ours", default=OURS_MODULE, metavar="MODULE",
                        help=f"the hook module measured as ours (default {OURS_MODULE})")
    parser.add_argument("--callers", type=int, default=4, help="concurrent callers for the throughput row")
    parser.add_argument("--model-dir", type=Path, default=None,
                        help="CTranslate2 Whisper model (default: bundled tiny.en)")
    parser.add_argument("--json", type=Path, default=None, help="also write the raw results here")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--debug", action="store_true", help="log progress and show tracebacks")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.callers < 1:
        parser.error("--callers must be at least 1")
    if args.model_dir and not (args.model_dir / "model.bin").is_file():
        parser.error(f"--model-dir {args.model_dir} holds no model.bin")
    started = machine_label()  # when the run began, not when it printed
    logging.basicConfig(level=logging.INFO if args.debug else logging.WARNING, format="%(message)s")
    logging.getLogger("faster_whisper").setLevel(logging.WARNING)  # one line per request otherwise
    try:
        model_dir = args.model_dir or installed_model_dir()
        clips = load_clips(QUICK_CLIPS if args.quick else None)
        if args.sweep:
            from bench import default_sweep

            results = default_sweep.sweep(
                model_dir, clips, default_sweep.CANDIDATE_SETS[args.candidates], module=args.ours
            )
            text = default_sweep.format_sweep(results)
            raw = [r.as_dict() for r in results]
            ok = True
        else:
            comparison = compare(model_dir, clips, args.callers, args.ours)
            text = format_comparison(comparison)
            raw = comparison.as_dict()
            ok = all(comparison.targets().values())
    except Exception as exc:  # a CLI: one line for the user, the traceback only on --debug
        if args.debug:
            raise
        print(f"ERROR: {exc}", file=sys.stderr)
        return 1
    print(f"model {model_dir.name}, {started}")
    print(text)
    if args.json:
        args.json.write_text(json.dumps({"machine": started, "results": raw}, indent=2) + "\n")
    return 0 if ok or not args.check else 1


if __name__ == "__main__":
    sys.exit(main())
