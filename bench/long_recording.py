"""A whole recorded call: real-time factor, WER and peak memory, ours vs faster-whisper's plain transcribe.

    python -m bench.long_recording [--minutes 10] [--pipelines sequential,batched] [--batch-size 8]
                                   [--model-dir DIR] [--json PATH]

The recording is the corpus's two-channel 8 kHz calls (``scripts/fetch_speech_corpus.py``)
end to end, alternating their sources, until it lasts ``--minutes``: real speech with a
reference for every turn. Each configuration runs in a process of its own, so the peak
resident memory it reports is its own:

* baseline: faster-whisper's ``decode_audio`` and ``WhisperModel.transcribe`` with their
  defaults (beam 5, no VAD), as its README shows;
* ours: the handler the endpoint runs (``model_fn``, then the WAV file's bytes decoded as
  ``input_fn`` does, ``predict_fn``), configured as an asynchronous endpoint is (no
  real-time limits), once per pipeline (``WHISPER_PIPELINE``), with VAD (the default)
  and with ``vad_filter=false`` (sent as custom attributes).

WER is over the whole recording against its turns' references in time order.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from bench.handler_runner import format_table, load_line
from replay.call_source import Call, Turn, read_call_wav, write_call_wav
from replay.clips import installed_model_dir, testdata_root
from replay.lca_audio import TELEPHONE_RATE
from replay.wer import wer

NO_VAD = ", vad_filter=false"
GAP_S = 1.0  # silence between two calls joined into the recording
# The asynchronous endpoint's settings: hours of audio, a payload of up to 1 GB.
ASYNC_ENV = {"WHISPER_MAX_AUDIO_S": "14400", "WHISPER_DECODE_BUDGET_S": "3600",
             "WHISPER_MAX_PAYLOAD_BYTES": str(1 << 30)}


def recording(minutes: float) -> Call:
    """The corpus's calls joined (sources alternating) into one call of at least ``minutes``."""
    calls_dir = testdata_root() / "corpus" / "calls"
    index = json.loads((calls_dir / "calls.json").read_text())
    by_source: dict[str, list[dict]] = {}
    for entry in index:
        by_source.setdefault(entry["name"].split("-call-")[0], []).append(entry)
    order = [e for group in _interleave(list(by_source.values())) for e in group]
    pieces, turns, cursor = [], [], 0
    gap = np.zeros((int(GAP_S * TELEPHONE_RATE), 2), dtype=np.int16)
    for entry in order * (1 + int(minutes * 60 // sum(e["seconds"] for e in index))):
        if cursor >= minutes * 60 * TELEPHONE_RATE:
            break
        call = read_call_wav(calls_dir / entry["file"])
        offset = cursor / TELEPHONE_RATE
        turns += [Turn(t["channel"], t["clip"], t["reference"], t["start_s"] + offset, t["end_s"] + offset)
                  for t in entry["turns"]]
        pieces += [call.audio, gap]
        cursor += len(call.audio) + len(gap)
    return Call(np.concatenate(pieces), tuple(turns), f"recording-{minutes:g}min")


def _interleave(groups: list[list]) -> list[list]:
    """[[a1, a2], [b1]] -> [[a1], [b1], [a2]]: one of each source in turn."""
    out = []
    for i in range(max(len(g) for g in groups)):
        out += [[g[i]] for g in groups if i < len(g)]
    return out


def reference_text(call: Call) -> str:
    return " ".join(t.reference for t in sorted(call.turns, key=lambda t: t.start_s))


def run_worker(config: str, path: Path, batch_size: int, model_dir: Path) -> dict:
    """One configuration, in this process: its transcript, seconds and peak memory."""
    if config == "baseline":
        from faster_whisper import WhisperModel, decode_audio

        model = WhisperModel(str(model_dir), device="cpu", compute_type="int8")
        loaded = _peak_mib()
        start = time.perf_counter()
        segments, _ = model.transcribe(decode_audio(str(path)), language="en")
        text = " ".join(s.text.strip() for s in segments)
    else:
        pipeline, no_vad, _ = config.partition(NO_VAD)
        os.environ.update(ASYNC_ENV, WHISPER_PIPELINE=pipeline, WHISPER_BATCH_SIZE=str(batch_size))
        from inference import handler

        transcriber = handler.model_fn(model_dir)
        loaded = _peak_mib()
        start = time.perf_counter()
        data = handler.decode_invocation(path.read_bytes(), "audio/wav", transcriber.config,
                                         "vad_filter=false" if no_vad else None)
        text = handler.predict_fn(data, transcriber)["text"]
    return {"seconds": time.perf_counter() - start, "loaded_mib": loaded, "peak_mib": _peak_mib(), "text": text}


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def measure(minutes: float, pipelines: Sequence[str], batch_size: int, model_dir: Path) -> dict:
    call = recording(minutes)
    reference = reference_text(call)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        path = write_call_wav(call, Path(tmp) / "recording.wav")
        for config in ("baseline", *(p + vad for p in pipelines for vad in ("", NO_VAD))):
            out = subprocess.run([sys.executable, "-m", "bench.long_recording", "--worker", config, "--recording",
                                  str(path), "--batch-size", str(batch_size), "--model-dir", str(model_dir)],
                                 capture_output=True, text=True, check=False)
            if out.returncode:
                raise RuntimeError(f"{config} failed: {out.stderr.strip().splitlines()[-1:]}")
            result = json.loads(out.stdout)
            result["wer"] = wer([reference], [result["text"]])
            result["rtf"] = result["seconds"] / call.seconds
            results[config] = result
    return {"audio_s": call.seconds, "turns": len(call.turns), "words": len(reference.split()),
            "batch_size": batch_size, "results": results}


def format_results(r: dict) -> str:
    rows = [("configuration", "RTF", "WER", "seconds", "peak RSS MiB", "above the loaded model")]
    for name, x in r["results"].items():
        label = "faster-whisper transcribe" if name == "baseline" else f"ours, {name}"
        if name.startswith("batched"):
            label = label.replace("batched", f"batched (batch {r['batch_size']})")
        rows.append((label, f"{x['rtf']:.3f}", f"{100 * x['wer']:.1f}%", f"{x['seconds']:.1f}",
                     f"{x['peak_mib']:.0f}", f"{x['peak_mib'] - x['loaded_mib']:.0f}"))
    float32_mib = r["audio_s"] * 16000 * 4 / 2**20
    return (f"{r['audio_s'] / 60:.1f} min two-channel 8 kHz recording, {r['turns']} turns, {r['words']} reference "
            f"words; one float32 copy at 16 kHz is {float32_mib:.0f} MiB\n" + format_table(rows))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.long_recording", description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="length of the recording (default 10)")
    parser.add_argument("--pipelines", default="sequential,batched", help="ours, comma-separated (default both)")
    parser.add_argument("--batch-size", type=int, default=8, help="WHISPER_BATCH_SIZE for batched (default 8)")
    parser.add_argument("--json", help="also write the figures here")
    parser.add_argument("--model-dir", type=Path, default=None, help="default: the bundled tiny.en")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--recording", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    pipelines = [p for p in args.pipelines.split(",") if p]
    if args.minutes <= 0 or args.batch_size < 1 or not set(pipelines) <= {"sequential", "batched"}:
        parser.error("--minutes must be positive, --batch-size at least 1, --pipelines sequential and/or batched")
    if args.model_dir and not (args.model_dir / "model.bin").is_file():
        parser.error(f"--model-dir {args.model_dir} holds no model.bin")
    if args.worker:
        model_dir = args.model_dir or installed_model_dir()
        print(json.dumps(run_worker(args.worker, args.recording, args.batch_size, model_dir)))
        return 0
    try:
        results = measure(args.minutes, pipelines, args.batch_size, args.model_dir or installed_model_dir())
    except Exception as exc:  # a CLI: one line
        print(f"ERROR: {exc}", file=sys.stderr)
        return 1
    print(load_line())
    print(format_results(results))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
