"""bench.phantom_rate's bookkeeping: LCA's request stream per clip -> utterances -> phantom counts."""

from __future__ import annotations

import pytest

from bench.handler_runner import Call, Run
from bench.lca_workload import LcaRequest
from bench.phantom_rate import lost_finals, run_phantoms


def _call(clip: str, final: bool, text: str | None) -> Call:
    response = {"error": "boom"} if text is None else {"text": text}
    return Call(LcaRequest(clip, 1.0, final, b""), 0.1, response)


def test_partials_are_judged_against_their_clips_reference_and_final():
    run = Run("ours", [
        _call("goforward", False, "Thank you so much."),  # invented on the first second
        _call("goforward", False, "Go forward, 10"),
        _call("goforward", True, "Go forward 10 meters."),
        _call("cards-004", False, "5"),
        _call("cards-004", False, ""),  # LCA shows nothing: no result
        _call("cards-004", True, ""),  # a lost final
        _call("cards-001", False, "Tenner"),  # a guess at the word the cut splits
        _call("cards-001", True, None),  # an error: lost too
    ])
    references = {"goforward": "go forward ten meters", "cards-004": "five five", "cards-001": "ten of clubs"}
    counted = run_phantoms(run, references)
    assert (counted.phantom_partials, counted.partials) == (2, 4)
    assert (counted.phantom_finals, counted.finals) == (0, 1)
    assert lost_finals(run) == 2


def test_the_corpus_becomes_clips_from_every_source():
    from bench.phantom_rate import corpus_clips

    clips = corpus_clips(20)
    assert len({c.name.split("-")[0] for c in clips}) >= 3
    assert all(c.path.is_file() and c.reference and c.seconds > 0 for c in clips)


@pytest.mark.parametrize("argv", [["--corpus", "0"], ["--corpus", "3", "--quick"], ["--corpus", "3", "--clips", "jfk"]])
def test_corpus_usage_errors_exit_2(argv):
    from bench.phantom_rate import main

    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
