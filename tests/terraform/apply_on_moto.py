"""Apply -> plan shows no changes -> destroy leaves nothing, against the moto server.

NOT part of `make test`: it needs the hashicorp/aws and hashicorp/external providers,
which cannot be obtained on our build machines (see modules/whisper_sagemaker/README.md,
Testing). Where they sit in the scripts/tofu mirror, run it explicitly:

    .venv/bin/python -m pytest tests/terraform/apply_on_moto.py

Known moto 5.2.5 gaps it steers around: ml.g5.* is rejected by
CreateEndpointConfig (ml.g4dn.xlarge here); application-autoscaling tag calls return 500
(tags left empty; a launcher extension is needed if the provider still lists tags).
"""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
from terraform_testlib import REPO, Tofu

pytestmark = pytest.mark.slow


def _apply_plan_destroy(tofu: Tofu, root: Path, state: Path, variables: dict) -> dict:
    var_file = state.parent / "test.tfvars.json"
    var_file.write_text(json.dumps(variables))
    common = ["-input=false", f"-state={state}", f"-var-file={var_file}"]
    tofu.run("init", "-input=false", "-backend=false", cwd=root)
    tofu.run("apply", "-auto-approve", *common, cwd=root)
    outputs = {k: v["value"] for k, v in json.loads(tofu.run("output", "-json", f"-state={state}",
                                                              cwd=root).stdout).items()}
    # -detailed-exitcode: 0 = no changes, 2 = changes pending
    plan = tofu.run("plan", "-detailed-exitcode", *common, cwd=root, check=False)
    assert plan.returncode == 0, plan.stdout + plan.stderr
    tofu.run("destroy", "-auto-approve", *common, cwd=root)
    assert json.loads(state.read_text()).get("resources", []) == []
    return outputs


def test_root_module_with_lca_defaults(tofu: Tofu, aws_endpoint: str, tmp_path: Path) -> None:
    s3 = boto3.client("s3", endpoint_url=aws_endpoint)
    s3.create_bucket(Bucket="lca-artifacts")
    s3.put_object(Bucket="lca-artifacts", Key="whisper/k/model.tar.gz", Body=b"artifact")
    outputs = _apply_plan_destroy(tofu, REPO, tmp_path / "root.tfstate", {
        "aws_region": "us-east-1", "aws_endpoint_url": aws_endpoint, "sagemaker_instance_type": "ml.g4dn.xlarge",
        "s3_bucket_name": "lca-artifacts", "model_data_url": "s3://lca-artifacts/whisper/k/model.tar.gz",
        "endpoint_name": "whisper-endpoint-lca", "create_lca_shim_stack": True,
    })
    assert outputs["whisper_sagemaker_endpoint_name"] == "whisper-endpoint-lca"
    assert outputs["auto_scaling_enabled"] == "true"
    sagemaker = boto3.client("sagemaker", endpoint_url=aws_endpoint)
    assert sagemaker.list_endpoints()["Endpoints"] == []


def test_complete_example(tofu: Tofu, aws_endpoint: str, tmp_path: Path) -> None:
    s3 = boto3.client("s3", endpoint_url=aws_endpoint)
    for bucket in ("whisper-complete-artifacts", "whisper-complete-capture"):
        s3.create_bucket(Bucket=bucket)
    outputs = _apply_plan_destroy(tofu, REPO / "examples" / "complete", tmp_path / "complete.tfstate",
                                  {"aws_endpoint_url": aws_endpoint})
    assert outputs["endpoint_name"] == "whisper-complete"
    assert outputs["disabled_endpoint_name"] is None
