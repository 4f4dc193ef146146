"""Build the model artifact a SageMaker Whisper endpoint loads: ``python -m builder``.

Fetches CTranslate2 Whisper weights from the Hugging Face Hub (or a local
directory), packages them with the ``inference`` handler and vendored wheels
into a byte-reproducible ``model.tar.gz``, uploads it to a content-addressed S3
key and writes ``manifest.json``.
"""

from .models import ARTIFACT_FORMAT

__all__ = ["ARTIFACT_FORMAT"]
