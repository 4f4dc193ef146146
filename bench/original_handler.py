"""The baseline: what LCA's original Whisper handler does with a request.

Reproduces the processing of ``lca-whisper-sagemaker-stack/.../model/inference.py`` in
aws-samples/amazon-transcribe-live-call-analytics (docs/lca-contract.md), minus its
start-up side effects (pip installs, ffmpeg set-up, torch thread tuning) which cost
nothing per request. Per request it:

1. parses the whole body with ``json.loads`` and turns ``audio_input`` into ``bytes``;
2. writes those bytes to a temporary ``.wav`` file;
3. calls ``model.transcribe(path, beam_size=5, vad_filter=True, ...)``, so faster-whisper
   decodes the file itself (PyAV) and pads every request to a 30 s window;
4. ignores the client's ``beam_size`` and ``no_speech_threshold``; the model is int8;
5. answers ``{"text", "language", "segments"}`` (``text`` is the segment texts joined with
   a space, untrimmed) or ``{"error": "..."}``.

The hooks have the SageMaker signatures so the benchmark drives both handlers the same way.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import tempfile
from pathlib import Path

from faster_whisper import WhisperModel

logger = logging.getLogger(__name__)

# The original always loaded int8, whatever the device.
COMPUTE_TYPE = "int8"


def model_fn(model_dir: str | Path, device: str = "cpu") -> WhisperModel:
    """Load the model as the original did (int8, faster-whisper's default threads and workers)."""
    return WhisperModel(str(model_dir), device=device, compute_type=COMPUTE_TYPE)


def input_fn(request_body: bytes | str, request_content_type: str) -> dict:
    """Parse the body: JSON only, decoded in full."""
    if request_content_type != "application/json":
        raise ValueError("Content type must be application/json")
    return json.loads(request_body)


def _transcribe_bytes(audio_bytes: bytes, parameters: dict, model: WhisperModel) -> dict:
    with tempfile.NamedTemporaryFile(delete=False, suffix=".wav") as temp_file:
        temp_file.write(audio_bytes)
        audio_path = temp_file.name
    try:
        segments, info = model.transcribe(
            audio_path,
            beam_size=5,  # the client's beam_size is ignored
            language=parameters.get("language"),
            task=parameters.get("task", "transcribe"),
            temperature=parameters.get("temperature", 0.0),
            vad_filter=True,
            initial_prompt=parameters.get("initial_prompt"),
        )
        # The original materialised the lazy generator into the response's segment dicts.
        rows = [
            {
                "id": s.id,
                "seek": 0,
                "start": s.start,
                "end": s.end,
                "text": s.text,
                "tokens": s.tokens,
                "temperature": s.temperature,
                "avg_logprob": s.avg_logprob,
                "compression_ratio": s.compression_ratio,
                "no_speech_prob": s.no_speech_prob,
            }
            for s in segments
        ]
        result = {"text": " ".join(r["text"] for r in rows), "language": info.language}
        if parameters.get("include_segments", True):
            result["segments"] = rows
        return result
    finally:
        os.unlink(audio_path)


def predict_fn(input_data: dict, model: WhisperModel) -> dict:
    """Transcribe ``audio_input`` (byte array) or ``audio_data`` (base64).

    Like the original, every failure becomes ``{"error": ...}`` (sent with HTTP 200).
    ``s3_uri`` and ``audio_path`` are left out: the benchmark never sends them.
    """
    try:
        parameters = input_data.get("parameters", {})
        if "audio_input" in input_data:
            if not isinstance(input_data["audio_input"], list):
                raise ValueError("audio_input must be an array of bytes")
            audio_bytes = bytes(input_data["audio_input"])
        elif "audio_data" in input_data:
            audio_bytes = base64.b64decode(input_data["audio_data"])
        else:
            raise ValueError("No valid audio input provided. Expected 'audio_input' or 'audio_data'")
        return _transcribe_bytes(audio_bytes, parameters, model)
    except Exception as exc:  # the original's behaviour, reproduced on purpose
        logger.error("Error during prediction: %s", exc)
        return {"error": str(exc)}


def output_fn(prediction: dict, accept: str) -> tuple[str, str]:
    """Serialise to JSON; the original refused any other Accept."""
    if accept != "application/json":
        raise ValueError("Accept header must be application/json")
    return json.dumps(prediction), accept


def decode_audio_input(request_body: bytes) -> bytes:
    """The baseline's payload decoding alone: ``json.loads`` then ``bytes(list)``."""
    return bytes(json.loads(request_body)["audio_input"])
