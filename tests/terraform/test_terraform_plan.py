"""Plan-level checks with both OpenTofu and Terraform and the real hashicorp/aws provider schema.

`validate` of every root (the repository root, the module, modules/lca, each example), then the
`*.tftest.hcl` files with mocked providers. Each runs in the CLI's copy of the HCL (``hcl_copy``),
whose override files pin hashicorp/aws to the provider this machine has.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor

import pytest
from terraform_testlib import REPO, HclCopy

# The repository root and every module and example (each has a versions.tf).
ROOTS = [".", *sorted(str(p.parent.relative_to(REPO)) for d in ("modules", "examples")
                      for p in REPO.glob(f"{d}/**/versions.tf") if ".terraform" not in p.parts)]
TEST_DIRS = sorted({str(p.parent.parent.relative_to(REPO)) for p in REPO.glob("modules/**/tests/*.tftest.hcl")})


def test_every_module_example_and_test_directory_is_covered() -> None:
    assert {"modules/whisper_sagemaker", "modules/whisper_sagemaker/modules/lca", "examples/complete",
            "examples/lca", "examples/post-call", "examples/standalone", "examples/streaming"} <= set(ROOTS)
    assert {"modules/whisper_sagemaker", "modules/whisper_sagemaker/modules/lca"} <= set(TEST_DIRS)


@pytest.fixture(scope="session")
def cli_results(hcl_copy: HclCopy) -> Iterator[dict[tuple[str, str], Future]]:
    """Every `validate` and `test` of one CLI, started together on two workers.

    Each command mostly waits on its own provider process starting up, so two at a time nearly
    halves the wall time; the inits run first, one by one (they share the plugin cache).
    """
    for rel in ROOTS:
        hcl_copy.dir(rel)
    with ThreadPoolExecutor(max_workers=2) as pool:
        # the slow `test` runs first, so the validations fill the other worker meanwhile
        jobs = {("test", rel): pool.submit(hcl_copy.cli.run, "test", cwd=hcl_copy.dir(rel), check=False, timeout=600)
                for rel in TEST_DIRS}
        jobs |= {("validate", rel): pool.submit(hcl_copy.cli.run, "validate", "-json", cwd=hcl_copy.dir(rel),
                                                check=False) for rel in ROOTS}
        yield jobs


@pytest.mark.parametrize("rel", ROOTS)
def test_validate(cli_results: dict[tuple[str, str], Future], rel: str) -> None:
    proc = cli_results["validate", rel].result()
    assert proc.returncode == 0 and '"valid": true' in proc.stdout, proc.stdout + proc.stderr
    # deprecated attributes are warnings: none is allowed to creep in
    assert '"warning_count": 0' in proc.stdout, proc.stdout


@pytest.mark.parametrize("rel", TEST_DIRS)
def test_tftest_files_pass(cli_results: dict[tuple[str, str], Future], rel: str) -> None:
    runs = sum(len(re.findall(r'^run "', f.read_text(), re.M)) for f in (REPO / rel / "tests").glob("*.tftest.hcl"))
    proc = cli_results["test", rel].result()
    # every run block ran and passed: a run the CLI skipped would be missing from the count
    assert proc.returncode == 0 and f"Success! {runs} passed, 0 failed." in proc.stdout, proc.stdout + proc.stderr
