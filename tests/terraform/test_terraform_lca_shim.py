"""The LCA CloudFormation shim: rendered by OpenTofu from modules/lca, linted by cfn-lint,
deployed into a real moto CloudFormation server with the 11 parameters LCA's main stack passes."""

from __future__ import annotations

import subprocess
from pathlib import Path

import boto3
import lca_contract
import pytest
import yaml
from terraform_testlib import Tofu, lca_harness

# lca-whisper-sagemaker-stack/template.yaml's parameters as docs/lca-contract.md states them:
# name -> (default, allowed values as a list, or (min, max) for a number, or None for free text).
LCA_PARAMETERS = {p.name: (p.default, list(p.choices) if p.choices else p.bounds)
                  for p in lca_contract.parameters().values()}
LCA_OUTPUTS = lca_contract.outputs()


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory, tofu: Tofu) -> dict:
    """The shim as the root module renders it for an endpoint Terraform deployed."""
    root = lca_harness(tmp_path_factory.mktemp("lca-shim"), tofu,
                       endpoint_name="whisper-endpoint-mylca", whisper_model_size="large-v3",
                       enable_auto_scaling="true", auto_scaling_max_capacity=2,
                       deployed={"endpoint_name": "whisper-endpoint-mylca", "s3_bucket_name": "whisper-artifacts-1"})
    tofu.run("apply", "-auto-approve", "-input=false", cwd=root)
    out = tofu.outputs(root)
    path = root / "shim.yaml"
    path.write_text(out["shim_template_body"])
    return {"path": path, "body": out["shim_template_body"], "outputs": out["shim_outputs"]}


def test_declares_lcas_parameters_at_least_as_wide(rendered: dict) -> None:
    params = yaml.safe_load(rendered["body"])["Parameters"]
    assert sorted(params) == sorted(LCA_PARAMETERS)
    for name, (default, allowed) in LCA_PARAMETERS.items():
        p = params[name]
        assert str(p["Default"]) == default, name
        if isinstance(allowed, list):
            assert set(allowed) <= set(p["AllowedValues"]), name
        elif isinstance(allowed, tuple):
            assert p["Type"] == "Number" and p["MinValue"] <= allowed[0] and p["MaxValue"] >= allowed[1], name
        else:
            assert "AllowedValues" not in p and "AllowedPattern" not in p, name


def test_outputs_report_the_deployed_endpoint(rendered: dict) -> None:
    outputs = yaml.safe_load(rendered["body"])["Outputs"]
    assert sorted(outputs) == sorted(LCA_OUTPUTS)
    values = {k: v["Value"] for k, v in outputs.items()}
    assert values["WhisperSageMakerEndpointName"] == "whisper-endpoint-mylca"
    assert values["WhisperModelSize"] == "large-v3" and values["S3BucketName"] == "whisper-artifacts-1"
    assert values["AutoScalingMaxCapacity"] == "2" and values["AutoScalingEnabled"] == "true"


def test_creates_nothing_costly(rendered: dict) -> None:
    resources = yaml.safe_load(rendered["body"])["Resources"]
    assert {r["Type"] for r in resources.values()} == {"AWS::CloudFormation::WaitConditionHandle"}


def test_cfn_lint_is_clean(rendered: dict, tools_bin: Path) -> None:
    proc = subprocess.run([str(tools_bin / "cfn-lint"), "--format", "parseable", str(rendered["path"])],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_cfn_lint_catches_a_broken_shim(rendered: dict, tools_bin: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(rendered["body"].replace("Type: AWS::CloudFormation::WaitConditionHandle",
                                               "Type: AWS::CloudFormation::NoSuchThing"))
    proc = subprocess.run([str(tools_bin / "cfn-lint"), str(broken)], capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0


def test_lca_main_stack_nests_it_on_moto(rendered: dict, aws_endpoint: str) -> None:
    """create_stack with exactly the parameters LCA's main stack passes; read back its outputs."""
    cfn = boto3.client("cloudformation", endpoint_url=aws_endpoint, region_name="us-east-1")
    lca_passes = {
        "WhisperModelSize": "large-v2", "SageMakerInstanceType": "ml.g5.2xlarge", "SageMakerInstanceCount": "1",
        "S3BucketName": "", "EndpointName": "whisper-endpoint-mylca", "EnableAutoScaling": "true",
        "AutoScalingMinCapacity": "1", "AutoScalingMaxCapacity": "3", "AutoScalingTargetGpuUtilization": "50",
        "AutoScalingScaleOutCooldown": "60", "AutoScalingScaleInCooldown": "300",
    }
    cfn.create_stack(StackName="lca-whisper-shim", TemplateBody=rendered["body"],
                     Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in lca_passes.items()])
    stack = cfn.describe_stacks(StackName="lca-whisper-shim")["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    assert outputs["WhisperSageMakerEndpointName"] == "whisper-endpoint-mylca"
    assert sorted(outputs) == sorted(LCA_OUTPUTS)
    assert outputs == rendered["outputs"]
    # moto leaves the ids and type of this no-op resource empty: count what it created.
    resources = cfn.list_stack_resources(StackName="lca-whisper-shim")["StackResourceSummaries"]
    assert len(resources) == 1 and resources[0]["ResourceStatus"] == "CREATE_COMPLETE"
