# The two commands a new user needs: `make demo` and `make test` (setup, lint, then the tests).
.PHONY: setup setup-demo setup-lint demo test check lint lint-python lint-tf-fmt lint-tf-docs lint-tflint bench lock clean

# READMEs whose inputs/outputs tables scripts/terraform_docs.py generates.
TF_DOCS_DIRS := . modules/whisper_sagemaker modules/whisper_sagemaker/modules/lca
# The quick tier: no Terraform, no end-to-end demo runs, no wheel builds or images, no long model sweeps.
QUICK := not (terraform or e2e or packaging or image or slow)

setup:
	scripts/setup.sh test

setup-demo:
	scripts/setup.sh demo

setup-lint:
	scripts/setup.sh lint

demo: setup-demo
	.venv/bin/python -m demo

# Two workers (see tests/conftest.py for how tests are grouped onto them).
PYTEST := .venv/bin/python -m pytest -n 2

# The whole suite (CI runs this), then the 15 slowest tests.
test: setup lint
	$(PYTEST) --durations=15

# A few minutes' worth of the suite for the edit-test loop (see tests/README.md for the markers).
check: setup lint-python
	$(PYTEST) -m "$(QUICK)" -q

# Lint the way terraform-aws-modules do; .pre-commit-config.yaml runs these same targets.
lint: setup setup-lint lint-python lint-tf-fmt lint-tf-docs lint-tflint

lint-python:
	.venv/bin/ruff check .

lint-tf-fmt:
	scripts/tofu fmt -check -diff -recursive

lint-tf-docs:
	.venv/bin/python scripts/terraform_docs.py --check $(TF_DOCS_DIRS)

# tflint's terraform ruleset, "recommended" preset (.tflint.hcl), on the root, modules and examples.
lint-tflint:
	scripts/tflint --recursive --config="$(CURDIR)/.tflint.hcl"

bench: setup
	.venv/bin/python -m bench

# Re-resolve requirements/*.lock (needs the package index).
lock: setup-demo
	.venv/bin/python scripts/lock_requirements.py

clean:
	rm -rf .venv .pytest_cache
