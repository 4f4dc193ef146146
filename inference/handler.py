"""The SageMaker inference hooks: ``code/inference.py`` in the artifact re-exports these.

The Deep Learning Container toolkits call ``model_fn(model_dir)`` once, then per request
``input_fn(body, content_type)`` -> ``predict_fn(data, model)`` -> ``output_fn(prediction,
accept)``. The local server (``server.py``) runs the same steps, passing its configuration
explicitly (``load_transcriber``, ``decode_invocation``) and the custom-attributes header.

The response format is chosen by the request's ``response_format`` parameter, else by the
Accept header (``formats.py``). Only ``input_fn`` sees the parameter and only ``output_fn``
the header, so ``predict_fn`` returns a :class:`~.formats.Prediction`: LCA's body (a dict,
unchanged) carrying the parameter through to ``output_fn``.

The serving configuration (every ``WHISPER_*`` variable) is read once, by ``model_fn``,
and travels in the :class:`Transcriber` it returns. ``input_fn`` has no model argument in
the toolkits' calling convention, so it uses the configuration of the model loaded in
this process (the server passes its configuration explicitly instead).

Imports are relative: the builder ships this package as ``code/whisper_inference/``.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from faster_whisper import WhisperModel

from . import formats
from .audio import SAMPLE_RATE
from .codecs import DecodedRequest, decode_audio, parse_request
from .config import ServingConfig
from .errors import ClientError
from .formats import Prediction
from .model import load_model
from .parameters import RECORDING_DEFAULTS, Parameters
from .partial_memory import PartialMemory
from .recording import transcribe_channels
from .transcribe import LONG_AUDIO_S, transcribe

logger = logging.getLogger(__name__)

JSON = "application/json"


@dataclass
class Transcriber:
    """What ``model_fn`` returns: the loaded model, the configuration it serves with, and the
    live utterances' last hypotheses (for agreement across LCA's growing partials)."""

    model: WhisperModel
    config: ServingConfig
    memory: PartialMemory = field(default_factory=PartialMemory)


@dataclass
class Invocation:
    """What ``input_fn`` returns: decoded audio, validated parameters, and a flag the server
    sets when the client has gone (the model then stops at its next step)."""

    request: DecodedRequest
    parameters: Parameters
    cancelled: threading.Event = field(default_factory=threading.Event)
    received: float = field(default_factory=time.monotonic)  # the decoding budget counts from here


_loaded: list[ServingConfig] = []  # the configuration of the model this process loaded last


def model_fn(model_dir: str | Path) -> Transcriber:
    """Load and warm the CTranslate2 model that lies directly in ``model_dir`` (the artifact root),
    with the configuration read from the environment here, once.

    One parameter only: the toolkits pass a context to a ``model_fn`` that takes two.
    """
    return load_transcriber(model_dir, ServingConfig.from_env())


def load_transcriber(model_dir: str | Path, config: ServingConfig) -> Transcriber:
    """``model_fn`` with an explicit configuration (the local server's way); defaults that
    depend on the model are filled in here."""
    config = config.for_model(model_dir)
    transcriber = Transcriber(load_model(model_dir, config), config)
    _loaded[:] = [config]
    return transcriber


def input_fn(request_body: bytes | str, request_content_type: str | None) -> Invocation:
    """Decode the body and validate ``parameters`` within the limits of the model this process loaded.

    Raises:
        ClientError: anything wrong with the request (4xx).
    """
    return decode_invocation(request_body, request_content_type, _loaded[0] if _loaded else ServingConfig())


def decode_invocation(body: bytes | str, content_type: str | None, config: ServingConfig,
                      attributes: str | None = None) -> Invocation:
    """``input_fn`` with an explicit configuration and the ``X-Amzn-SageMaker-Custom-Attributes``
    header (the local server's way): parameters first, since ``channels`` decides the decoding."""
    payload, raw = parse_request(body, content_type, config, attributes)
    parameters = Parameters.from_request(raw, config)
    audio = decode_audio(payload, config, keep_channels=parameters.channels == "separate")
    if payload.form or parameters.channels == "separate" or audio.shape[-1] > LONG_AUDIO_S * SAMPLE_RATE:
        # a whole recording, not one of LCA's growing utterances: the defaults for recordings
        parameters = dataclasses.replace(parameters, **{k: v for k, v in RECORDING_DEFAULTS.items() if k not in raw})
    return Invocation(DecodedRequest(audio, raw), parameters)


def predict_fn(input_data: Invocation, model: Transcriber) -> Prediction:
    """Transcribe; the answer is the response body as a dict (LCA's), carrying the requested format."""
    if not isinstance(input_data, Invocation):
        raise TypeError(f"predict_fn expects what input_fn returns, not {type(input_data).__name__}")
    params = input_data.parameters
    # every format but LCA's own JSON is rendered from the segments: decode them in any case
    run = dataclasses.replace(params, include_segments=True)
    if params.channels == "separate":
        body = transcribe_channels(model.model, input_data.request, run, model.config, input_data.cancelled,
                                   input_data.received)
    else:
        body = transcribe(model.model, input_data.request, run, model.config, input_data.cancelled,
                          input_data.received, model.memory)
    return Prediction(body, params.response_format, params.task, params.include_segments)


def output_fn(prediction: dict, accept: str | None) -> str:
    """Render in the requested format: the ``response_format`` parameter, else the Accept header.

    LCA sends neither (the toolkits turn a missing Accept into JSON): LCA's JSON, as always.

    Raises:
        NotAcceptable: no parameter, and the Accept header admits no format (406).
    """
    return formats.render(prediction, choose_format(prediction, accept))


def choose_format(prediction: dict, accept: str | None, default: str = formats.LCA) -> str:
    """The format ``output_fn`` renders ``prediction`` in (``default`` for JSON or no Accept)."""
    return formats.choose(getattr(prediction, "response_format", None), accept, default)


def check_accept(accept: str | None) -> None:
    """Raise :class:`~.errors.NotAcceptable` unless ``accept`` admits a format the handler renders."""
    formats.choose(None, accept)


__all__ = ["model_fn", "input_fn", "predict_fn", "output_fn", "load_transcriber", "decode_invocation",
           "ClientError", "Invocation", "Transcriber"]
