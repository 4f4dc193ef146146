"""Phantom words and lost finals on LCA's request stream: ours vs LCA's original handler, one run.

    python -m bench.phantom_rate [--quick | --clips a,b | --corpus N] [--ours MODULE] [--model-dir DIR]
                                 [--json PATH]

Every clip becomes LCA's partials (the growing utterance, once a second) and its final
(``bench.lca_workload``): the 12 clips by default, or every Nth utterance of each source of
the larger corpus (``--corpus N``); the requests go to each handler in turn (interleaved, so
background load hits both alike). Prints, per handler, phantom partials and finals
(``replay.phantoms``), finals lost (no text), WER of the finals and the p50 request time.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from pathlib import Path

from bench import lca_workload, original_handler
from bench.corpus_wer import load_corpus
from bench.handler_runner import HookHandler, Run, format_table, load_line, run_interleaved
from replay.clips import QUICK_CLIPS, SpeechClip, installed_model_dir, load_clips
from replay.phantoms import PhantomTally, Utterance, tally

OURS_MODULE = "inference.handler"


def utterances(answers: Iterable[tuple[str, bool, str]], references: dict[str, str]) -> list[Utterance]:
    """``(clip, final, text)`` of every answer, in order -> what LCA showed per utterance (one per
    clip with a final; empty partials are no results)."""
    partials: dict[str, list[str]] = {}
    finals: dict[str, str] = {}
    for clip, final, text in answers:
        if final:
            finals[clip] = text
        elif text:
            partials.setdefault(clip, []).append(text)
    return [Utterance(references.get(clip), partials.get(clip, []), final) for clip, final in finals.items()]


def run_phantoms(run: Run, references: dict[str, str]) -> PhantomTally:
    """Phantom partials and finals of one handler's run over the LCA workload."""
    return tally(utterances(((c.request.clip, c.request.final, c.transcript or "") for c in run.calls), references))


def lost_finals(run: Run) -> int:
    """Finals LCA would show nothing for (empty text, error, or no speech)."""
    return sum(1 for c in run.calls if c.request.final and not c.transcript)


def measure(model_dir, clips: Sequence, ours_module: str = OURS_MODULE) -> dict:
    requests = lca_workload.lca_workload(list(clips))
    handlers = [HookHandler.load("original", original_handler, model_dir),
                HookHandler.load("ours", importlib.import_module(ours_module), model_dir)]
    for h in handlers:  # first-call costs are not per-request
        h.invoke(requests[0].body)
    runs = run_interleaved(handlers, requests)
    references = {c.name: c.reference for c in clips}
    results = {}
    for run in runs:
        phantoms = run_phantoms(run, references)
        results[run.handler] = {"tally": phantoms, "lost_finals": lost_finals(run), "wer": run.wer(references),
                                "p50_s": run.percentile(50), "requests": len(run.calls),
                                "examples": list(phantoms.examples)}
    return results


def corpus_clips(every: int) -> list[SpeechClip]:
    """Every ``every``-th utterance of each corpus source, as clips."""
    return [SpeechClip(e["name"], e["path"], e["reference"], e["seconds"]) for e in load_corpus(every)]


def format_results(results: dict) -> str:
    base, ours = results["original"], results["ours"]
    rows = [("metric", "original", "ours", "")]
    for label, key in (("phantom partials", "partial"), ("phantom finals", "final")):
        cells = []
        for r in (base, ours):
            t = r["tally"]
            n, total = (t.phantom_partials, t.partials) if key == "partial" else (t.phantom_finals, t.finals)
            cells.append(f"{n}/{total}")
        rows.append((label, *cells, ""))
    rows.append(("  of which invented", *(str(r["tally"].invented_partials) for r in (base, ours)),
                 "no word of the reference or final"))
    rows.append(("lost finals", str(base["lost_finals"]), str(ours["lost_finals"]), ""))
    rows.append(("WER of finals", f"{100 * base['wer']:.1f}%", f"{100 * ours['wer']:.1f}%", ""))
    rows.append(("p50 request, ms", f"{1000 * base['p50_s']:.0f}", f"{1000 * ours['p50_s']:.0f}",
                 f"ours/original {ours['p50_s'] / base['p50_s']:.2f}x"))
    lines = [format_table(rows)]
    for name, r in results.items():
        lines += [f"{name} phantom partials, first few:"] + [f"  {e}" for e in r["examples"]]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.phantom_rate", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help=f"only the clips {', '.join(QUICK_CLIPS)}")
    parser.add_argument("--clips", help="comma-separated clip names (default: all)")
    parser.add_argument("--corpus", type=int, metavar="N", help="every Nth utterance of each corpus source instead")
    parser.add_argument("--ours", default=OURS_MODULE, metavar="MODULE", help="the hook module measured as ours")
    parser.add_argument("--json", help="also write the figures here")
    parser.add_argument("--model-dir", type=Path, default=None, help="default: the bundled tiny.en")
    args = parser.parse_args(argv)
    if args.model_dir and not (args.model_dir / "model.bin").is_file():
        parser.error(f"--model-dir {args.model_dir} holds no model.bin")
    if args.corpus is not None and (args.corpus < 1 or args.quick or args.clips):
        parser.error("--corpus takes a positive N and excludes --quick and --clips")
    try:
        names = QUICK_CLIPS if args.quick else (tuple(args.clips.split(",")) if args.clips else None)
        clips = corpus_clips(args.corpus) if args.corpus else load_clips(names)
        results = measure(args.model_dir or installed_model_dir(), clips, args.ours)
    except Exception as exc:  # a CLI: one line
        print(f"ERROR: {exc}", file=sys.stderr)
        return 1
    print(load_line())
    print(format_results(results))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump({k: {**v, "tally": asdict(v["tally"])} for k, v in results.items()}, out, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
