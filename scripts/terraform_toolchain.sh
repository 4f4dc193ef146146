#!/usr/bin/env bash
# The Terraform side's tools, cached outside the clone (WHISPER_SAGEMAKER_CACHE):
#   - OpenTofu, built once from the Go module proxy by scripts/tofu;
#   - HashiCorp Terraform is the one on PATH (scripts/terraform checks it);
#   - both CLIs' provider mirror, linked from the machine's plugin directories;
#   - checkov + cfn-lint in their own virtual environment (tools-venv), because
#     checkov's exact pins conflict with the project's .venv.
# Idempotent: a warm machine finishes in well under a second.
set -euo pipefail
cd "$(dirname "$0")/.."

cache=${WHISPER_SAGEMAKER_CACHE:-$HOME/.cache/whisper-sagemaker}
tools=$cache/tools-venv
pins="checkov==3.3.30 cfn-lint==1.58.0"
stamp=$tools/.installed-$(echo "$pins" | sha256sum | cut -c1-16)
if [ ! -f "$stamp" ]; then
  echo "setup: installing $pins into $tools" >&2
  "${PYTHON:-python3}" -m venv "$tools"
  "$tools/bin/pip" install --quiet --upgrade pip
  # shellcheck disable=SC2086
  "$tools/bin/pip" install --quiet $pins
  rm -f "$tools"/.installed-*
  touch "$stamp"
fi

scripts/tofu version >/dev/null  # says so when it builds OpenTofu first
# Without Terraform the demo still runs; the tests fail loudly, with the same message.
scripts/terraform version >/dev/null || true
