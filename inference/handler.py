"""The SageMaker inference hooks: ``code/inference.py`` in the artifact re-exports these.

The Deep Learning Container toolkits call ``model_fn(model_dir)`` once, then per request
``input_fn(body, content_type)`` -> ``predict_fn(data, model)`` -> ``output_fn(prediction,
accept)``. The local server (``server.py``) runs the same steps, passing its configuration
explicitly (``load_transcriber``, ``decode_invocation``).

The serving configuration (every ``WHISPER_*`` variable) is read once, by ``model_fn``,
and travels in the :class:`Transcriber` it returns. ``input_fn`` has no model argument in
the toolkits' calling convention, so it uses the configuration of the model loaded in
this process (the server passes its configuration explicitly instead).

Imports are relative: the builder ships this package as ``code/whisper_inference/``.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from faster_whisper import WhisperModel

from .codecs import DecodedRequest, decode_request
from .config import ServingConfig
from .errors import ClientError, NotAcceptable
from .model import load_model
from .parameters import Parameters
from .transcribe import transcribe

logger = logging.getLogger(__name__)

JSON = "application/json"
_ACCEPTED = frozenset({"", "*/*", "application/*", JSON})


@dataclass
class Transcriber:
    """What ``model_fn`` returns: the loaded model and the configuration it serves with."""

    model: WhisperModel
    config: ServingConfig


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
    """``model_fn`` with an explicit configuration (the local server's way)."""
    transcriber = Transcriber(load_model(model_dir, config), config)
    _loaded[:] = [config]
    return transcriber


def input_fn(request_body: bytes | str, request_content_type: str | None) -> Invocation:
    """Decode the body and validate ``parameters`` within the limits of the model this process loaded.

    Raises:
        ClientError: anything wrong with the request (4xx).
    """
    return decode_invocation(request_body, request_content_type, _loaded[0] if _loaded else ServingConfig())


def decode_invocation(body: bytes | str, content_type: str | None, config: ServingConfig) -> Invocation:
    """``input_fn`` with an explicit configuration (the local server's way)."""
    request = decode_request(body, content_type, config)
    return Invocation(request, Parameters.from_request(request.parameters, config))


def predict_fn(input_data: Invocation, model: Transcriber) -> dict:
    """Transcribe; the answer is the response body as a dict."""
    if not isinstance(input_data, Invocation):
        raise TypeError(f"predict_fn expects what input_fn returns, not {type(input_data).__name__}")
    return transcribe(model.model, input_data.request, input_data.parameters, model.config,
                      input_data.cancelled, input_data.received)


def output_fn(prediction: dict, accept: str | None) -> str:
    """Serialise as JSON; LCA sends no Accept header, which the toolkits turn into JSON.

    Raises:
        NotAcceptable: the client asked for anything that JSON does not satisfy.
    """
    check_accept(accept)
    return json.dumps(prediction, ensure_ascii=False, separators=(",", ":"))


def check_accept(accept: str | None) -> None:
    """Raise :class:`NotAcceptable` unless ``accept`` admits JSON."""
    if accept is None:
        return
    kinds = {part.split(";")[0].strip().lower() for part in accept.split(",")}
    if not kinds & _ACCEPTED:
        raise NotAcceptable(f"cannot answer with {accept!r}: responses are {JSON}")


__all__ = ["model_fn", "input_fn", "predict_fn", "output_fn", "load_transcriber", "decode_invocation",
           "ClientError", "Invocation", "Transcriber"]
