"""Request parameters: defaults, LCA's own set, and a clear 400 for each wrong type or range."""

from __future__ import annotations

import pytest

from inference.errors import ClientError
from inference.parameters import Parameters
from replay.lca_audio import LCA_PARAMETERS


def test_lca_parameters_are_honoured():
    p = Parameters.from_request(LCA_PARAMETERS)
    assert (p.language, p.task, p.temperature, p.beam_size, p.no_speech_threshold) == ("en", "transcribe", 0.0, 5, 0.2)
    assert p.vad_filter is True and p.return_no_speech_prob is False


def test_defaults_and_unknown_keys():
    assert Parameters.from_request(None) == Parameters()
    assert Parameters.from_request({"some_future_option": 1, "window": "x"}) == Parameters()


def test_every_option_is_read():
    p = Parameters.from_request({
        "language": "FR", "task": "translate", "temperature": [0, 0.2, 0.4], "beam_size": 3.0,
        "no_speech_threshold": None, "initial_prompt": "Call about a refund.", "hotwords": "LCA",
        "vad_filter": True, "word_timestamps": True, "condition_on_previous_text": False,
        "without_timestamps": True, "return_no_speech_prob": True, "include_segments": False,
    })
    assert p == Parameters("fr", "translate", (0.0, 0.2, 0.4), 3, None, "Call about a refund.", "LCA",
                           True, True, False, True, True, False)


@pytest.mark.parametrize("raw, message", [
    ({"language": "klingon"}, "language code"),
    ({"language": 5}, "must be a string"),
    ({"task": "summarise"}, "one of transcribe, translate"),
    ({"temperature": "hot"}, "must be a number"),
    ({"temperature": 1.5}, "between 0.0 and 1.0"),
    ({"temperature": []}, "empty list"),
    ({"temperature": float("nan")}, "must be a number"),
    ({"beam_size": 0}, "between 1 and"),
    ({"beam_size": 2.5}, "integer"),
    ({"beam_size": True}, "integer"),
    ({"beam_size": "5"}, "integer"),
    ({"no_speech_threshold": 2}, "between"),
    ({"vad_filter": "yes"}, "true or false"),
    ({"word_timestamps": 1}, "true or false"),
    ({"initial_prompt": ["a"]}, "string"),
    ({"hotwords": "x" * 5000}, "longer than"),
    ("beam_size=5", "JSON object"),
    ({"temperature": [0.0] * 7}, "limit is 6 \\(WHISPER_MAX_TEMPERATURES\\)"),
])
def test_wrong_types_and_ranges_are_400(raw, message):
    with pytest.raises(ClientError, match=message) as err:
        Parameters.from_request(raw)
    assert err.value.status == 400


def test_the_temperature_list_limit_is_configurable():
    from inference.config import ServingConfig

    assert Parameters.from_request({"temperature": [0.0] * 6}).temperature == (0.0,) * 6
    with pytest.raises(ClientError, match="limit is 2"):
        Parameters.from_request({"temperature": [0.0, 0.2, 0.4]}, ServingConfig(max_temperatures=2))
