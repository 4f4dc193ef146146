"""Plan-level checks with both OpenTofu and Terraform and the real hashicorp/aws provider schema.

`validate` of every root (the repository root, the module, modules/lca, each example), then the
`*.tftest.hcl` files with mocked providers. Each runs in the CLI's copy of the HCL (``hcl_copy``),
whose override files pin hashicorp/aws to the provider this machine has.
"""

from __future__ import annotations

import re

import pytest
from terraform_testlib import REPO, HclCopy

# The repository root and every module and example (each has a versions.tf).
ROOTS = [".", *sorted(str(p.parent.relative_to(REPO)) for d in ("modules", "examples")
                      for p in REPO.glob(f"{d}/**/versions.tf") if ".terraform" not in p.parts)]
TEST_DIRS = sorted({str(p.parent.parent.relative_to(REPO)) for p in REPO.glob("modules/**/tests/*.tftest.hcl")})


def test_every_module_example_and_test_directory_is_covered() -> None:
    assert {"modules/whisper_sagemaker", "modules/whisper_sagemaker/modules/lca", "examples/complete",
            "examples/lca", "examples/standalone"} <= set(ROOTS)
    assert {"modules/whisper_sagemaker", "modules/whisper_sagemaker/modules/lca"} <= set(TEST_DIRS)


@pytest.mark.parametrize("rel", ROOTS)
def test_validate(hcl_copy: HclCopy, rel: str) -> None:
    proc = hcl_copy.cli.run("validate", "-json", cwd=hcl_copy.dir(rel))
    assert '"valid": true' in proc.stdout, proc.stdout
    # deprecated attributes are warnings: none is allowed to creep in
    assert '"warning_count": 0' in proc.stdout, proc.stdout


@pytest.mark.parametrize("rel", TEST_DIRS)
def test_tftest_files_pass(hcl_copy: HclCopy, rel: str) -> None:
    path = hcl_copy.dir(rel)
    runs = sum(len(re.findall(r'^run "', f.read_text(), re.M)) for f in (path / "tests").glob("*.tftest.hcl"))
    proc = hcl_copy.cli.run("test", cwd=path, check=False, timeout=600)
    # every run block ran and passed: a run the CLI skipped would be missing from the count
    assert proc.returncode == 0 and f"Success! {runs} passed, 0 failed." in proc.stdout, proc.stdout + proc.stderr
