#!/bin/sh
# The serving image's entrypoint. SageMaker runs the container as `IMAGE serve` with the model
# artifact extracted to /opt/ml/model: its code/ holds our server (the whisper_inference package)
# and code/wheels + code/requirements.txt its runtime dependencies. They are installed from those
# wheels alone (pip --no-index, as the DLC's toolkit would), so the container starts with network
# isolation, and the server answers /ping, /invocations and the streaming WebSocket routes.
#
#   WHISPER_IMAGE_MODEL_DIR   the extracted artifact (default /opt/ml/model)
#   WHISPER_IMAGE_PORT        the port SageMaker talks to (default 8080)
#   WHISPER_IMAGE_PYTHON      the interpreter (default: python3 on PATH, the DLC's)
# Any other command runs as given (`docker run IMAGE bash`).
set -eu

if [ "${1:-serve}" != serve ]; then
  exec "$@"
fi

model_dir=${WHISPER_IMAGE_MODEL_DIR:-/opt/ml/model}
port=${WHISPER_IMAGE_PORT:-8080}
python=${WHISPER_IMAGE_PYTHON:-python3}
code=$model_dir/code

if [ ! -f "$code/whisper_inference/__main__.py" ]; then
  echo "ERROR: $code/whisper_inference is missing: the model artifact was not built by python -m builder" >&2
  exit 1
fi
if [ -f "$code/requirements.txt" ]; then
  echo "whisper-sagemaker-serve: installing the artifact's vendored wheels (offline)" >&2
  # pip reads ./wheels in requirements.txt relative to the file itself.
  "$python" -m pip install --quiet --disable-pip-version-check --no-cache-dir --no-input \
    -r "$code/requirements.txt"
fi

# cwd = code/: the server is the artifact's copy, whatever else the image has installed.
cd "$code"
exec "$python" -m whisper_inference serve --model-dir "$model_dir" --host 0.0.0.0 --port "$port"
