"""Fixtures for the Terraform tests: both CLIs, copies of the HCL, and the tools venv.

The CLIs and tools are installed by ``scripts/setup.sh`` (via ``scripts/terraform_toolchain.sh``);
missing tools are a broken setup, so the fixtures fail loudly instead of skipping.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from terraform_testlib import CLIS, Cli, HclCopy, cache_root, terraform_copy


@pytest.fixture(scope="session")
def tofu() -> Cli:
    bin_dir = cache_root() / "toolchain"
    if not any(bin_dir.glob("opentofu-*/bin/tofu")):
        pytest.fail(f"OpenTofu not built under {bin_dir}: run scripts/setup.sh (make test does)")
    return Cli("tofu")


@pytest.fixture(scope="session")
def terraform() -> Cli:
    cli = Cli("terraform")
    proc = cli.run("version", check=False)
    if proc.returncode != 0:
        pytest.fail(proc.stderr.strip() or "scripts/terraform version failed")
    return cli


@pytest.fixture(scope="session", params=CLIS)
def cli(request: pytest.FixtureRequest) -> Cli:
    """Each test that takes it runs once with OpenTofu and once with Terraform."""
    return request.getfixturevalue(request.param)


@pytest.fixture(scope="session")
def hcl_copy(cli: Cli, tmp_path_factory: pytest.TempPathFactory) -> HclCopy:
    """One copy of the repository's HCL per CLI, pinned to the local provider; dirs init once."""
    return HclCopy(cli, terraform_copy(tmp_path_factory.mktemp(f"hcl-{cli.name}") / "repo"))


@pytest.fixture(scope="session")
def tools_bin() -> Path:
    """bin/ of the tools venv holding checkov and cfn-lint."""
    path = cache_root() / "tools-venv" / "bin"
    for tool in ("checkov", "cfn-lint"):
        if not (path / tool).exists():
            pytest.fail(f"{tool} missing from {path}: run scripts/setup.sh (make test does)")
    return path
