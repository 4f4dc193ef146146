"""Build the model artifact a SageMaker Whisper endpoint loads: ``python -m builder``.

Fetches CTranslate2 Whisper weights from the Hugging Face Hub (or a local
directory), packages them with the ``inference`` handler and vendored wheels
into a byte-reproducible ``model.tar.gz``, uploads it to a content-addressed S3
key and writes ``manifest.json``.
"""

from .models import load_pins

# The artifact format's salt, part of every content key. It lives in pins.json (the
# Terraform module reads it there); bump it whenever the builder writes different
# bytes for the same inputs.
ARTIFACT_FORMAT: str = load_pins()["artifact_format"]
