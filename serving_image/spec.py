"""What the serving image is, in one place: the label, entrypoint, command, environment and the
one file our layer adds. ``crane.py`` and ``Dockerfile`` both make this image (a test keeps the
Dockerfile in step with this module).

SageMaker starts a model's container as ``IMAGE serve``; it opens bidirectional-streaming
WebSockets (``ws://localhost:8080/invocations-bidirectional-stream``) only to a container whose
image carries :data:`STREAMING_LABEL`. The base is the AWS Deep Learning Container the Terraform
module pins (Hugging Face PyTorch inference, CUDA 12.4 + cuDNN 9): it has the Python, CUDA and
cuDNN that ctranslate2 needs; its own model server, which has no WebSocket route, is bypassed.
"""

from __future__ import annotations

from pathlib import Path

STREAMING_LABEL = "com.amazonaws.sagemaker.capabilities.bidirectional-streaming"
LABELS = {STREAMING_LABEL: "true"}

# The one file the image adds, and where.
ENTRYPOINT_SOURCE = Path(__file__).with_name("entrypoint.sh")
ENTRYPOINT_PATH = "/usr/local/bin/whisper-sagemaker-serve"
ENTRYPOINT = [ENTRYPOINT_PATH]
CMD = ["serve"]  # what SageMaker passes anyway; `docker run IMAGE` alone serves too

# Read by entrypoint.sh (WHISPER_IMAGE_*: not the handler's WHISPER_* settings, which the
# model's environment sets). PYTHONUNBUFFERED: log lines reach CloudWatch as they are written.
ENV = {
    "WHISPER_IMAGE_MODEL_DIR": "/opt/ml/model",
    "WHISPER_IMAGE_PORT": "8080",
    "PYTHONUNBUFFERED": "1",
}
