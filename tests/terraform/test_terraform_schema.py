"""Our HCL against hashicorp/aws's schemas: 6.66.0 (users run 6.x) and the local 5.x binary.

No 6.x provider binary exists here, so 6.66.0's schema comes from the npm package
@cdktn/provider-aws 25.7.0 (generated from it), converted by scripts/aws_schema_npm.py; the
5.x one is the real binary's ``providers schema -json`` (scripts/aws_schema.py, both cached by
scripts/setup.sh). What our HCL uses is read by scripts/aws_schema_usage.py (python-hcl2; its
docstring says why not OpenTofu's own output). A missing package, CLI or provider fails here.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts"))
import aws_schema  # noqa: E402
from aws_schema_usage import Usage, attribute_flags, differences, problems, scan  # noqa: E402


def hcl_files() -> list[Path]:
    """Every file our users' Terraform reads: the root, the module (with modules/lca), examples, tests."""
    files = {
        *REPO.glob("*.tf"),
        *REPO.glob("modules/**/*.tf"),
        *REPO.glob("examples/*/*.tf"),
        *REPO.glob("modules/**/*.tftest.hcl"),
        *REPO.glob("examples/**/*.tftest.hcl"),
        *REPO.glob("*.tftest.hcl"),
        *REPO.glob("tests/*.tftest.hcl"),
    }
    return sorted(f for f in files if ".terraform" not in f.parts)


def _load(load) -> dict:
    try:
        return load()
    except aws_schema.SchemaUnavailable as exc:
        pytest.fail(str(exc))


@pytest.fixture(scope="module")
def usage() -> Usage:
    return scan(REPO, hcl_files())


@pytest.fixture(scope="module")
def schema_6() -> dict:
    return _load(aws_schema.schema_v6)


@pytest.fixture(scope="module")
def schema_5() -> dict:
    return _load(aws_schema.schema_v5)


@pytest.fixture(scope="module")
def aws_6(schema_6: dict) -> dict:
    return aws_schema.provider_schema(schema_6)


@pytest.fixture(scope="module")
def aws_5(schema_5: dict) -> dict:
    return aws_schema.provider_schema(schema_5)


def test_the_schemas_are_the_versions_we_claim(schema_6: dict, schema_5: dict) -> None:
    assert schema_6["provider_versions"][aws_schema.PROVIDER] == "6.66.0"
    assert schema_5["provider_versions"][aws_schema.PROVIDER].startswith("5.")


def test_the_conversion_matches_a_real_schema_where_the_provider_did_not_change(aws_6: dict, aws_5: dict) -> None:
    """scripts/aws_schema_npm.py against a real ``providers schema -json``, over every type both have.

    Arguments, attributes and nested blocks (below blocks; cdktn types some deep attributes
    `any`) that 5.x has must be in the conversion with the same required/optional/computed
    flags, but for what 6.0 really removed or changed (eip's `vpc`, …): well under 1 % and 2 %.
    """
    total = missing = changed = 0
    for kind in ("resource_schemas", "data_source_schemas"):
        for resource_type in aws_5[kind].keys() & aws_6[kind].keys():
            old = attribute_flags(aws_5[kind][resource_type]["block"])
            new = attribute_flags(aws_6[kind][resource_type]["block"])
            for path, flags in old.items():
                parent = path.rpartition(".")[0]
                if parent and new.get(parent) != "block":
                    continue
                total += 1
                missing += path not in new
                changed += path in new and flags != new[path] and not {"", "block"} & {flags, new[path]}
    assert total > 30_000
    assert missing / total < 0.01 and changed / total < 0.02, (total, missing, changed)


def test_the_scan_sees_the_module(usage: Usage) -> None:
    # Guards against a vacuous pass (a parser that finds nothing finds nothing wrong).
    assert {
        ("resource", "aws_sagemaker_endpoint_configuration"),
        ("resource", "aws_sagemaker_model"),
        ("data", "aws_region"),
        ("resource", "aws_cloudformation_stack"),
    } <= usage.types()
    steps = {(r.type, r.steps) for r in usage.references}
    assert ("aws_sagemaker_endpoint_configuration", ("production_variants", "variant_name")) in steps
    assert any(b.is_mock and b.type == "aws_region" for b in usage.blocks)


def test_every_block_and_argument_exists_in_6_66(usage: Usage, aws_6: dict) -> None:
    found = problems(Usage(usage.blocks, ()), aws_6)
    assert not found, "hashicorp/aws 6.66.0 rejects:\n" + "\n".join(found)


def test_every_attribute_we_read_exists_in_6_66(usage: Usage, aws_6: dict) -> None:
    found = problems(Usage((), usage.references), aws_6)
    assert not found, "hashicorp/aws 6.66.0 has no:\n" + "\n".join(found)


def test_what_we_use_exists_in_the_local_5x_too(usage: Usage, aws_5: dict, aws_6: dict) -> None:
    """The module supports 5.x and 6.x alike: what it uses must exist in both; prints what differs."""
    print("\n".join(differences(usage, aws_6, aws_5)))
    found = problems(usage, aws_5)
    assert not found, "the local 5.x provider rejects:\n" + "\n".join(found)


WRONG = """
resource "aws_sagemaker_endpoint" "this" {
  endpoint_config_nam = "typo"
  arn                 = "computed only"
}
resource "aws_sagemaker_endpoint_configuration" "this" {
  name_prefix = "x-"
  dynamic "production_variants" {
    for_each = [1]
    content {
      variant_nme = "typo in a dynamic block"
    }
  }
  data_capture_config {
    initial_sampling_percentage = 10
    destination_s3_uri          = "s3://b/k"
  }
}
data "aws_region" "current" {}
output "wrong" {
  value = [aws_sagemaker_endpoint.this.no_such, data.aws_region.current.region,
    aws_sagemaker_endpoint.this[count.index].arn,
  aws_sagemaker_endpoint_configuration.this.production_variants[0].no_such]
}
"""
MOCKS = """
mock_provider "aws" {
  mock_data "aws_region" {
    defaults = { no_such = "x" }
  }
}
"""


def test_the_checker_catches_wrong_hcl(tmp_path: Path, aws_6: dict, aws_5: dict) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "main.tf").write_text(WRONG)
    (tmp_path / "tests" / "t.tftest.hcl").write_text(MOCKS)
    usage = scan(tmp_path, [tmp_path / "main.tf", tmp_path / "tests" / "t.tftest.hcl"])
    endpoint, config = "main.tf: aws_sagemaker_endpoint.this", "main.tf: aws_sagemaker_endpoint_configuration.this"
    expected_6 = {
        f"{endpoint}: unknown argument 'endpoint_config_nam'",
        f"{endpoint}: 'arn' is computed-only, it cannot be set",
        f"{endpoint}: required argument 'endpoint_config_name' missing",
        f"{config}.production_variants: unknown argument 'variant_nme'",
        f"{config}.data_capture_config: required block 'capture_options' missing",
        "main.tf: aws_sagemaker_endpoint.this.no_such: no attribute 'no_such'",
        "main.tf: aws_sagemaker_endpoint_configuration.this.production_variants[0].no_such: no attribute 'no_such'",
        "tests/t.tftest.hcl: mock_data \"aws_region\": no attribute 'no_such'",
    }
    assert set(problems(usage, aws_6)) == expected_6
    # 6.x added data.aws_region's `region`; reading it breaks 5.x (and 5.x also wants model_name).
    assert set(problems(usage, aws_5)) - expected_6 == {
        "main.tf: data.aws_region.current.region: no attribute 'region'",
        f"{config}.production_variants: required argument 'model_name' missing",
    }
