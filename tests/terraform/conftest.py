"""Fixtures for the Terraform tests: the OpenTofu wrapper and the tools venv.

Both are installed by ``scripts/setup.sh`` (via ``scripts/terraform_toolchain.sh``);
missing tools are a broken setup, so the fixtures fail loudly instead of skipping.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from terraform_testlib import Tofu, cache_root


@pytest.fixture(scope="session")
def tofu() -> Tofu:
    bin_dir = cache_root() / "toolchain"
    if not any(bin_dir.glob("opentofu-*/bin/tofu")):
        pytest.fail(f"OpenTofu not built under {bin_dir}: run scripts/setup.sh (make test does)")
    return Tofu()


@pytest.fixture(scope="session")
def tools_bin() -> Path:
    """bin/ of the tools venv holding checkov and cfn-lint."""
    path = cache_root() / "tools-venv" / "bin"
    for tool in ("checkov", "cfn-lint"):
        if not (path / tool).exists():
            pytest.fail(f"{tool} missing from {path}: run scripts/setup.sh (make test does)")
    return path
