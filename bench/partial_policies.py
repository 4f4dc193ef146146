"""What a live partial should show: phantom words against words shown, policy by policy.

    python -m bench.partial_policies [--corpus N | --quick] [--half even|odd] [--model-dir DIR] [--decoded PATH]
                                     [--final-pause S]

Every request LCA would send for the speech corpus (every Nth utterance of each source;
all 403 by default) or the clips is decoded once by our handler (tiny.en, or the CTranslate2
model in ``--model-dir``: thresholds depend on the model), with word timings and
nothing held back. The policies are then applied to those words offline, as
``inference/cut_word.py`` applies them to a request whose audio ends in speech (Silero
VAD; finals end in the hang-over's silence and are left alone):

* hold back the last word and every word ending in the last S seconds;
* then cut at the first word below a probability (the rejected alternative);
* or leave the partial empty when its words' geometric-mean probability is below C
  (``min_partial_confidence``; the handler's default is marked);
* or agreement across the growing partials (LocalAgreement-2, ``inference/agreement.py``):
  show the words this hypothesis and the previous partial's agree on, falling back to the
  hold-back where there is no previous partial (an utterance's first, or a request landing
  on an instance that never saw the utterance); then the same gate;
* and, after the agreed words, the sure tail: the words of this hypothesis right after them
  with probability at least P that end ``HOLD_BACK_S`` before the audio's end;
* or the stateless agreement: decode the audio and the audio less its last second and show
  their common prefix. On this stream the audio less a second is the previous partial, so
  its text comes from the same decodes; its cost is both decodes.

Prints per policy: phantom partials and invented ones (``replay.phantoms``), the words
shown in all partials against showing everything, finals lost, the delay from a word's
end to its first appearance live (``bench.word_delay``) and the decode seconds each
partial costs; then the WER of the finals with its 95 % bootstrap interval.
``--decoded PATH`` keeps the decodes (a JSON file): a later run with the same path
re-scores them without decoding again. ``--half even`` (or ``odd``) keeps every other
utterance: thresholds are chosen on one half and checked on the other. ``--final-pause S``
answers in full only the requests that end in at least S seconds of non-speech
(``bench.final_pauses``) instead of those that do not end in speech: the rule that would
let partials landing in a short pause get the policy.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench import lca_workload
from bench.corpus_wer import bootstrap, errors
from bench.final_pauses import workload_pauses
from bench.handler_runner import format_table, load_line
from bench.phantom_rate import corpus_clips, utterances
from bench.word_delay import Answer, first_appearances
from inference import handler
from inference.agreement import agreed_prefix, shown_with_sure_tail
from inference.config import model_partial_confidence
from inference.cut_word import HOLD_BACK_S, TAIL_PROBABILITY, below_confidence, ends_in_speech, words_to_keep
from inference.parameters import Parameters
from replay.clips import QUICK_CLIPS, installed_model_dir, load_clips
from replay.lca_audio import LCA_PARAMETERS, lca_transcript
from replay.phantoms import PhantomTally, tally, words
from replay.report import percentile

DEFAULT_CONFIDENCE = Parameters().min_partial_confidence


@dataclass(frozen=True)
class Decoded:
    """One request's answer with nothing held back.

    Attributes:
        words: (text, end in seconds, probability) of every word, in order.
        text: what LCA reads from the answer (``None``: nothing, no speech or an error).
        took_s: the request's decode time (``predict_fn``).
    """

    clip: str
    final: bool
    seconds: float
    ends_in_speech: bool
    text: str | None
    words: tuple[tuple[str, float, float], ...]
    took_s: float = 0.0


PREVIOUS, STATELESS = "previous partial", "audio less 1 s"


@dataclass(frozen=True)
class Policy:
    name: str
    hold_back_s: float | None = None  # None: nothing held back
    prefix_probability: float | None = None
    min_confidence: float | None = None
    agreement: str | None = None  # PREVIOUS or STATELESS: agree with that hypothesis
    tail_probability: float | None = None  # with agreement: show the sure words after the agreed ones


def default_policy(confidence: float = DEFAULT_CONFIDENCE) -> Policy:
    """What the handler does: agree with the previous partial where it saw it, plus the sure
    tail, else hold back; then the confidence gate."""
    return Policy(f"agree + tail above {TAIL_PROBABILITY:g}, empty below {confidence:g} (default)", HOLD_BACK_S,
                  min_confidence=confidence or None, agreement=PREVIOUS, tail_probability=TAIL_PROBABILITY)


def policies(confidence: float = DEFAULT_CONFIDENCE) -> list[Policy]:
    """The candidates, the handler's ``default_policy(confidence)`` last."""
    return [
        Policy("nothing held back"),
        Policy("hold back the last word", 0.0),
        Policy(f"hold back {HOLD_BACK_S:g} s", HOLD_BACK_S),
        Policy("hold back 0.6 s", 0.6),
        Policy("hold back 1.0 s", 1.0),
        Policy(f"hold back {HOLD_BACK_S:g} s, cut below 0.5", HOLD_BACK_S, prefix_probability=0.5),
        *(Policy(f"hold back {HOLD_BACK_S:g} s, empty below {c:g}", HOLD_BACK_S, min_confidence=c)
          for c in (0.6, 0.8) if c != confidence),
        Policy(f"hold back 0.2 s, empty below {confidence:g}", HOLD_BACK_S, min_confidence=confidence),
        *(Policy(f"agree with the {STATELESS}" + (f", empty below {c:g}" if c else ""),
                 min_confidence=c or None, agreement=STATELESS) for c in (0, confidence)),
        *(Policy(f"agree with the {PREVIOUS}" + (f", empty below {c:g}" if c else ""), HOLD_BACK_S,
                 min_confidence=c or None, agreement=PREVIOUS) for c in (0, 0.5, 0.6, 0.7, 0.8)),
        *(Policy(f"agree + tail above {p:g}, empty below {confidence:g}", HOLD_BACK_S, min_confidence=confidence,
                 agreement=PREVIOUS, tail_probability=p) for p in (0.6, 0.8) if p != TAIL_PROBABILITY),
        default_policy(confidence),
    ]


def decode_workload(model_dir, clips: list, sink: Callable[[Decoded], None] | None = None) -> list[Decoded]:
    """Our handler's answer to every LCA request for ``clips``, with word timings, nothing held back
    (each also handed to ``sink`` as it comes)."""
    parameters = dict(LCA_PARAMETERS, hold_back_cut_word=False, word_timestamps=True)
    model = handler.model_fn(str(model_dir))
    decoded = []
    for request in lca_workload.lca_workload(clips, parameters):
        invocation = handler.input_fn(request.body, "application/json")
        start = time.perf_counter()
        prediction = handler.predict_fn(invocation, model)
        took = time.perf_counter() - start
        body = json.loads(handler.output_fn(prediction, "application/json"))
        found = tuple((w["word"], w["end"], w["probability"]) for s in body["segments"] for w in s["words"])
        decoded.append(Decoded(request.clip, request.final, request.audio_seconds,
                               ends_in_speech(invocation.request.audio), lca_transcript(body), found, took))
        if sink:
            sink(decoded[-1])
    return decoded


def shown(d: Decoded, policy: Policy, previous: Decoded | None = None) -> str:
    """What LCA would show for this answer under ``policy``; ``previous``: the hypothesis the
    agreement policies agree with (``None``: there is none)."""
    if d.text is None or not d.ends_in_speech or (policy.hold_back_s is None and not policy.agreement):
        return d.text or ""
    if policy.agreement and previous is not None:
        count = agreed_prefix([w for w, _, _ in previous.words], [w for w, _, _ in d.words])
        if policy.tail_probability is not None:
            count = shown_with_sure_tail(count, [end for _, end, _ in d.words], [p for _, _, p in d.words],
                                         d.seconds, policy.tail_probability, HOLD_BACK_S)
        kept = d.words[:count]
    elif policy.agreement == STATELESS:
        return ""  # no second less of audio to agree with
    else:
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
    delays: tuple[float, ...] = ()  # seconds from each final word's end to its first appearance
    cut_delays: tuple[float, ...] = ()  # the same, decode times left out: what the policy itself costs
    partial_cost_s: float = 0.0  # mean decode seconds per partial request


def previous_hypothesis(policy: Policy, d: Decoded, earlier: Sequence[Decoded]) -> Decoded | None:
    """What ``policy`` agrees ``d`` with among the utterance's ``earlier`` requests: the last
    partial that ended in speech (what the handler remembers), or the request one second shorter."""
    if policy.agreement == PREVIOUS:
        return next((e for e in reversed(earlier) if e.ends_in_speech and not e.final), None)
    if policy.agreement == STATELESS:
        return next((e for e in earlier if abs(e.seconds - (d.seconds - 1.0)) < 1e-6), None)
    return None


def evaluate(decoded: Sequence[Decoded], references: dict[str, str], policy: Policy) -> Outcome:
    by_clip: dict[str, list[Decoded]] = {}
    answers: list[tuple[str, bool, str]] = []
    costs: list[float] = []
    delays: list[float] = []
    cut_delays: list[float] = []
    for d in decoded:
        earlier = by_clip.setdefault(d.clip, [])
        previous = previous_hypothesis(policy, d, earlier)
        answers.append((d.clip, d.final, shown(d, policy, previous)))
        if not d.final:
            costs.append(d.took_s + (previous.took_s if policy.agreement == STATELESS and previous else 0.0))
        else:
            timed = [Answer(e.seconds, cost, text) for e, cost, (_, _, text)
                     in zip(earlier, costs[len(costs) - len(earlier):], answers[-len(earlier) - 1:-1], strict=True)]
            final_words = [(w, end) for w, end, _ in d.words]
            delays += first_appearances(final_words, [*timed, Answer(d.seconds, d.took_s, d.text or "")])
            cut_delays += first_appearances(final_words, [dataclasses.replace(a, took_s=0.0) for a in timed]
                                            + [Answer(d.seconds, 0.0, d.text or "")])
        earlier.append(d)
    shows = utterances(answers, references)
    words_shown = sum(len(words(text)) for u in shows for text in u.partials)
    return Outcome(policy, tally(shows), words_shown, sum(1 for u in shows if not u.final), tuple(delays),
                   tuple(cut_delays), float(np.mean(costs)) if costs else 0.0)


def finals_wer(decoded: Sequence[Decoded], references: dict[str, str]) -> tuple[float, float, float]:
    """WER of the finals (the handler's answers in full) and its 95 % bootstrap interval over utterances."""
    finals = [(references[d.clip], d.text or "") for d in decoded if d.final and d.clip in references]
    edits, counts = zip(*(errors(ref, text) for ref, text in finals), strict=True)
    return bootstrap(np.array(edits), np.array(counts), np.random.default_rng(0))


def format_outcomes(outcomes: Sequence[Outcome]) -> str:
    everything = outcomes[0].words_shown or 1
    rows = [("policy", "phantom partials", "invented", "words shown", "lost finals", "delay p50 / p95 s",
             "no decode time", "ms per partial")]
    for o in outcomes:
        t = o.tally
        rate = f" ({100 * t.phantom_partials / t.partials:.1f} %)" if t.partials else ""
        delay, cut = (f"{percentile(x, 50):.2f} / {percentile(x, 95):.2f}" if x else "-"
                      for x in (o.delays, o.cut_delays))
        rows.append((o.policy.name, f"{t.phantom_partials}/{t.partials}{rate}", str(t.invented_partials),
                     f"{o.words_shown} ({100 * (o.words_shown / everything - 1):+.0f} %)", str(o.lost_finals),
                     delay, cut, f"{1000 * o.partial_cost_s:.0f}"))
    return format_table(rows)


def load_or_decode(path: Path | None, model_dir: Path, clips: list) -> list[Decoded]:
    """The decodes of ``clips``: those of utterances kept whole at ``path`` (JSON lines) read
    back, the others decoded now and kept there line by line (so a run cut short resumes)."""
    if not path:
        return decode_workload(model_dir, clips)
    rows = [Decoded(**{**row, "words": tuple(tuple(w) for w in row["words"])})
            for row in map(json.loads, path.read_text().splitlines())] if path.is_file() else []
    done = {d.clip for d in rows if d.final}
    rows = [d for d in rows if d.clip in done]
    with path.open("w") as out:
        def keep(d: Decoded) -> None:
            out.write(json.dumps(dataclasses.asdict(d)) + "\n")
            out.flush()
        for d in rows:
            keep(d)
        todo = [c for c in clips if c.name not in done]
        rows += decode_workload(model_dir, todo, keep) if todo else []
    order = {c.name: i for i, c in enumerate(clips)}
    return sorted((d for d in rows if d.clip in order), key=lambda d: order[d.clip])  # stable: requests stay in order


def judged_by_pause(decoded: list[Decoded], clips: list, final_pause_s: float) -> list[Decoded]:
    """``decoded`` with a request taken for a partial (``ends_in_speech``) when it ends in less than
    ``final_pause_s`` of non-speech (measured again from the requests' audio: no decoding).

    Raises:
        ValueError: the decodes are not the requests of ``clips`` in order.
    """
    pauses = list(workload_pauses(clips))
    if [d.final for d in decoded] != [final for final, _ in pauses]:
        raise ValueError("the decodes are not the requests of these utterances, in order")
    return [dataclasses.replace(d, ends_in_speech=pause < final_pause_s)
            for d, (_, pause) in zip(decoded, pauses, strict=True)]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.partial_policies", description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=int, default=1, metavar="N", help="every Nth utterance of each source")
    parser.add_argument("--quick", action="store_true", help=f"the clips {', '.join(QUICK_CLIPS)} instead")
    parser.add_argument("--model-dir", type=Path, default=None, help="default: the bundled tiny.en")
    parser.add_argument("--decoded", type=Path, default=None, help="keep the decodes here; re-score them if there")
    parser.add_argument("--half", choices=("even", "odd"), help="only the even- (or odd-) numbered utterances")
    parser.add_argument("--final-pause", type=float, default=None, metavar="S",
                        help="answer in full only requests ending in at least S s of non-speech")
    args = parser.parse_args(argv)
    if args.corpus < 1:
        parser.error("--corpus takes a positive N")
    if args.model_dir and not (args.model_dir / "model.bin").is_file():
        parser.error(f"--model-dir {args.model_dir} holds no model.bin")
    try:
        clips = load_clips(QUICK_CLIPS) if args.quick else corpus_clips(args.corpus)
        clips = clips[{"even": 0, "odd": 1}[args.half]::2] if args.half else clips
        model_dir = args.model_dir or installed_model_dir()
        decoded = load_or_decode(args.decoded, model_dir, clips)
        if args.final_pause is not None:
            decoded = judged_by_pause(decoded, clips, args.final_pause)
    except Exception as exc:  # a CLI: one line
        print(f"ERROR: {exc}", file=sys.stderr)
        return 1
    references = {c.name: c.reference for c in clips}
    print(load_line())
    print(f"model {model_dir}: {len(clips)} utterances, {sum(not d.final for d in decoded)} partial requests, "
          f"{sum(not d.final and not d.ends_in_speech for d in decoded)} of them answered in full")
    print(format_outcomes([evaluate(decoded, references, p) for p in policies(model_partial_confidence(model_dir))]))
    wer, low, high = finals_wer(decoded, references)
    print(f"WER of the finals: {100 * wer:.2f} % (95 % interval {100 * low:.2f}-{100 * high:.2f} %)")
    took = [d.took_s for d in decoded]
    print(f"predict_fn per request: p50 {1000 * percentile(took, 50):.0f} ms, p95 {1000 * percentile(took, 95):.0f} ms "
          f"({len(took)} requests, word timings on)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
