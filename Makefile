# The two commands a new user needs: `make demo` and `make test` (setup, lint, then the tests).
.PHONY: setup demo test lint lint-python lint-tf-fmt lint-tf-docs lint-tflint bench clean

# READMEs whose inputs/outputs tables scripts/terraform_docs.py generates.
TF_DOCS_DIRS := . modules/whisper_sagemaker modules/whisper_sagemaker/modules/lca

setup:
	scripts/setup.sh

demo: setup
	.venv/bin/python -m demo

test: setup lint
	.venv/bin/python -m pytest

# Lint the way terraform-aws-modules do; .pre-commit-config.yaml runs these same targets.
lint: setup lint-python lint-tf-fmt lint-tf-docs lint-tflint

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

clean:
	rm -rf .venv .pytest_cache
