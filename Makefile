# The two commands a new user needs: `make demo` and `make test`.
.PHONY: setup demo test bench clean

setup:
	scripts/setup.sh

demo: setup
	.venv/bin/python -m demo

test: setup
	.venv/bin/python -m pytest

bench: setup
	.venv/bin/python -m bench

clean:
	rm -rf .venv .pytest_cache
