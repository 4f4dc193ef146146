"""What a live partial should show: phantom words against words shown, policy by policy.

    python -m bench.partial_policies [--corpus N | --quick] [--model-dir DIR]

Every request LCA would send for the speech corpus (every Nth utterance of each source;
all 403 by default) or the clips is decoded once by our handler (tiny.en, or the CTranslate2
model in ``--model-dir``: thresholds depend on the model), with word timings and
nothing held back. The policies are then applied to those words offline, as
``inference/cut_word.py`` applies them to a request whose audio ends in speech (Silero
VAD; finals end in the hang-over's silence and are left alone):

* hold back the last word and every word ending in the last S seconds;
* then cut at the first word below a probability (the rejected alternative);
* or leave the partial empty when its words' geometric-mean probability is below C
  (``min_partial_confidence``; the handler's default is marked).

Prints per policy: phantom partials and invented ones (``replay.phantoms``), the words
shown in all partials against showing everything, and finals lost.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench import lca_workload
from bench.handler_runner import format_table, load_line
from bench.phantom_rate import corpus_clips, utterances
from inference import handler
from inference.cut_word import HOLD_BACK_S, below_confidence, ends_in_speech, words_to_keep
from inference.parameters import Parameters
from replay.clips import QUICK_CLIPS, installed_model_dir, load_clips
from replay.lca_audio import LCA_PARAMETERS, lca_transcript
from replay.phantoms import PhantomTally, tally, words

DEFAULT_CONFIDENCE = Parameters().min_partial_confidence


@dataclass(frozen=True)
class Decoded:
    """One request's answer with nothing held back.

    Attributes:
        words: (text, end in seconds, probability) of every word, in order.
        text: what LCA reads from the answer (``None``: nothing, no speech or an error).
    """

    clip: str
    final: bool
    seconds: float
    ends_in_speech: bool
    text: str | None
    words: tuple[tuple[str, float, float], ...]


@dataclass(frozen=True)
class Policy:
    name: str
    hold_back_s: float | None = None  # None: nothing held back
    prefix_probability: float | None = None
    min_confidence: float | None = None


def policies() -> list[Policy]:
    chosen = f"hold back 0.2 s, empty below {DEFAULT_CONFIDENCE:g} (default)"
    return [
        Policy("nothing held back"),
        Policy("hold back the last word", 0.0),
        Policy(f"hold back {HOLD_BACK_S:g} s", HOLD_BACK_S),
        Policy("hold back 0.6 s", 0.6),
        Policy("hold back 1.0 s", 1.0),
        Policy(f"hold back {HOLD_BACK_S:g} s, cut below 0.5", HOLD_BACK_S, prefix_probability=0.5),
        *(Policy(f"hold back {HOLD_BACK_S:g} s, empty below {c:g}", HOLD_BACK_S, min_confidence=c)
          for c in (0.6, 0.8)),
        Policy(chosen, HOLD_BACK_S, min_confidence=DEFAULT_CONFIDENCE),
    ]


def decode_workload(model_dir, clips: list) -> list[Decoded]:
    """Our handler's answer to every LCA request for ``clips``, with word timings, nothing held back."""
    parameters = dict(LCA_PARAMETERS, hold_back_cut_word=False, word_timestamps=True)
    model = handler.model_fn(str(model_dir))
    decoded = []
    for request in lca_workload.lca_workload(clips, parameters):
        invocation = handler.input_fn(request.body, "application/json")
        body = json.loads(handler.output_fn(handler.predict_fn(invocation, model), "application/json"))
        found = tuple((w["word"], w["end"], w["probability"]) for s in body["segments"] for w in s["words"])
        decoded.append(Decoded(request.clip, request.final, request.audio_seconds,
                               ends_in_speech(invocation.request.audio), lca_transcript(body), found))
    return decoded


def shown(d: Decoded, policy: Policy) -> str:
    """What LCA would show for this answer under ``policy``."""
    if d.text is None or policy.hold_back_s is None or not d.ends_in_speech:
        return d.text or ""
    kept = d.words[:words_to_keep([end for _, end, _ in d.words], d.seconds, policy.hold_back_s)]
    if policy.prefix_probability is not None:
        low = [i for i, (_, _, p) in enumerate(kept) if p < policy.prefix_probability]
        kept = kept[:low[0]] if low else kept
    if policy.min_confidence is not None and below_confidence([p for _, _, p in kept], policy.min_confidence):
        return ""
    return "".join(text for text, _, _ in kept).strip()


@dataclass(frozen=True)
class Outcome:
    policy: Policy
    tally: PhantomTally
    words_shown: int
    lost_finals: int


def evaluate(decoded: Sequence[Decoded], references: dict[str, str], policy: Policy) -> Outcome:
    shows = utterances(((d.clip, d.final, shown(d, policy)) for d in decoded), references)
    words_shown = sum(len(words(text)) for u in shows for text in u.partials)
    return Outcome(policy, tally(shows), words_shown, sum(1 for u in shows if not u.final))


def format_outcomes(outcomes: Sequence[Outcome]) -> str:
    everything = outcomes[0].words_shown or 1
    rows = [("policy", "phantom partials", "invented", "words shown", "lost finals")]
    for o in outcomes:
        t = o.tally
        rate = f" ({100 * t.phantom_partials / t.partials:.1f} %)" if t.partials else ""
        rows.append((o.policy.name, f"{t.phantom_partials}/{t.partials}{rate}", str(t.invented_partials),
                     f"{o.words_shown} ({100 * (o.words_shown / everything - 1):+.0f} %)", str(o.lost_finals)))
    return format_table(rows)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.partial_policies", description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=int, default=1, metavar="N", help="every Nth utterance of each source")
    parser.add_argument("--quick", action="store_true", help=f"the clips {', '.join(QUICK_CLIPS)} instead")
    parser.add_argument("--model-dir", type=Path, default=None, help="default: the bundled tiny.en")
    args = parser.parse_args(argv)
    if args.corpus < 1:
        parser.error("--corpus takes a positive N")
    if args.model_dir and not (args.model_dir / "model.bin").is_file():
        parser.error(f"--model-dir {args.model_dir} holds no model.bin")
    try:
        clips = load_clips(QUICK_CLIPS) if args.quick else corpus_clips(args.corpus)
        decoded = decode_workload(args.model_dir or installed_model_dir(), clips)
    except Exception as exc:  # a CLI: one line
        print(f"ERROR: {exc}", file=sys.stderr)
        return 1
    references = {c.name: c.reference for c in clips}
    print(load_line())
    print(f"{len(clips)} utterances, {sum(not d.final for d in decoded)} partial requests")
    print(format_outcomes([evaluate(decoded, references, p) for p in policies()]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
