"""The SageMaker inference hooks: ``code/inference.py`` in the artifact re-exports these.

The Deep Learning Container toolkits call ``model_fn(model_dir)`` once, then per request
``input_fn(body, content_type)`` -> ``predict_fn(data, model)`` -> ``output_fn(prediction,
accept)``. The local server (``server.py``) calls the same four functions.

Imports are relative: the builder ships this package as ``code/whisper_inference/``.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

from faster_whisper import WhisperModel

from .codecs import DecodedRequest, decode_request
from .errors import ClientError, NotAcceptable
from .model import load_model
from .parameters import Parameters
from .transcribe import WindowPolicy, transcribe

logger = logging.getLogger(__name__)

JSON = "application/json"
_ACCEPTED = frozenset({"", "*/*", "application/*", JSON})


@dataclass
class Transcriber:
    """What ``model_fn`` returns: the loaded model and how its encoder window is chosen."""

    model: WhisperModel
    window: WindowPolicy


@dataclass
class Invocation:
    """What ``input_fn`` returns: decoded audio and validated parameters."""

    request: DecodedRequest
    parameters: Parameters


def model_fn(model_dir: str | Path) -> Transcriber:
    """Load and warm the CTranslate2 model that lies directly in ``model_dir`` (the artifact root)."""
    window = WindowPolicy.from_env()
    return Transcriber(load_model(model_dir), window)


def input_fn(request_body: bytes | str, request_content_type: str | None) -> Invocation:
    """Decode the body and validate ``parameters``.

    Raises:
        ClientError: anything wrong with the request (4xx).
    """
    request = decode_request(request_body, request_content_type)
    return Invocation(request, Parameters.from_request(request.parameters))


def predict_fn(input_data: Invocation, model: Transcriber) -> dict:
    """Transcribe; the answer is the response body as a dict."""
    if not isinstance(input_data, Invocation):
        raise TypeError(f"predict_fn expects what input_fn returns, not {type(input_data).__name__}")
    return transcribe(model.model, input_data.request, input_data.parameters, model.window)


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


__all__ = ["model_fn", "input_fn", "predict_fn", "output_fn", "ClientError", "Invocation", "Transcriber"]
