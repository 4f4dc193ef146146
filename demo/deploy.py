"""Step 3: the deployment LCA sees, as far as this machine allows.

* The full ``tofu apply`` of the root module needs the hashicorp/aws provider. It runs
  when ``scripts/tofu`` finds one in its filesystem mirror; otherwise the demo says it is
  skipped, and why, instead of pretending.
* The LCA CloudFormation shim needs no provider: ``modules/whisper_sagemaker/modules/lca``
  renders it with a real ``tofu apply`` (provider-less module), and the rendered template
  is deployed into the local CloudFormation (moto) with the 11 parameters LCA's main stack
  passes; its ``WhisperSageMakerEndpointName`` output names the endpoint the replay calls.
"""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from builder.cache import cache_root
from demo.checkout import checkout_root

logger = logging.getLogger(__name__)

REPO = checkout_root() or Path(__file__).resolve().parent.parent  # demo.__main__ stops when it is None
LCA_MODULE = REPO / "modules" / "whisper_sagemaker" / "modules" / "lca"
TOFU = REPO / "scripts" / "tofu"
STACK_NAME = "lca-demo-whisper"
TOFU_TIMEOUT_S = 300


def tofu_ready() -> bool:
    """``scripts/tofu`` exists and its OpenTofu is already built (the demo never starts a build)."""
    built = list((cache_root() / "toolchain").glob("opentofu-*/bin/tofu"))
    return TOFU.is_file() and any(os.access(b, os.X_OK) for b in built)


def aws_provider_available() -> bool:
    """scripts/tofu's mirror holds a hashicorp/aws the root module accepts (versions.tf's minimum).

    The build image's 5.100.0 is below the modules' ``>= 6.21``: the tests apply it through override
    files in a copy, but the demo applies the clone as it is, so it skips the apply instead.
    """
    minimum = re.search(r'\bversion\s*=\s*">=\s*([\d.]+)"', (REPO / "versions.tf").read_text())
    wanted = tuple(int(x) for x in minimum.group(1).split(".")) if minimum else (0,)
    found = (cache_root() / "toolchain" / "providers").glob("*/hashicorp/aws/*/*")
    return any(tuple(int(x) for x in re.findall(r"\d+", p.parent.name)) >= wanted for p in found)


def lca_stack_parameters(endpoint_name: str, bucket: str) -> dict[str, str]:
    """The 11 parameters LCA's main stack passes to its Whisper stack (docs/lca-contract.md, the stack)."""
    return {
        "WhisperModelSize": "tiny.en",
        "SageMakerInstanceType": "ml.g4dn.xlarge",
        "SageMakerInstanceCount": "1",
        "S3BucketName": bucket,
        "EndpointName": endpoint_name,
        "EnableAutoScaling": "true",
        "AutoScalingMinCapacity": "1",
        "AutoScalingMaxCapacity": "3",
        "AutoScalingTargetGpuUtilization": "50",
        "AutoScalingScaleOutCooldown": "60",
        "AutoScalingScaleInCooldown": "300",
    }


def _tofu(*args: str, cwd: Path, env: dict | None = None) -> str:
    proc = subprocess.run([str(TOFU), *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=TOFU_TIMEOUT_S)
    if proc.returncode != 0:
        raise RuntimeError(f"tofu {' '.join(args[:1])} failed ({proc.returncode}): "
                           f"{(proc.stderr or proc.stdout)[-1500:]}")
    return proc.stdout


@dataclass(frozen=True)
class RenderedShim:
    """The shim template OpenTofu rendered, and the outputs it declares."""

    body: str
    outputs: dict


def render_shim(work: Path, endpoint_name: str, bucket: str) -> RenderedShim:
    """``tofu apply`` a throw-away root calling modules/lca for the demo's endpoint."""
    root = work / "lca-shim"
    root.mkdir(parents=True, exist_ok=True)
    (root / "main.tf").write_text(
        f'module "lca" {{\n  source             = {json.dumps(str(LCA_MODULE))}\n'
        f'  endpoint_name      = {json.dumps(endpoint_name)}\n  whisper_model_size = "tiny.en"\n'
        f'  s3_bucket_name     = {json.dumps(bucket)}\n'
        f'  deployed           = {{ endpoint_name = {json.dumps(endpoint_name)}, '
        f's3_bucket_name = {json.dumps(bucket)} }}\n}}\n'
        'output "shim_template_body" {\n  value = module.lca.shim_template_body\n}\n'
        'output "shim_outputs" {\n  value = module.lca.shim_outputs\n}\n')
    _tofu("init", "-input=false", "-no-color", cwd=root)
    _tofu("apply", "-auto-approve", "-input=false", "-no-color", cwd=root)
    out = json.loads(_tofu("output", "-json", cwd=root))
    return RenderedShim(out["shim_template_body"]["value"], out["shim_outputs"]["value"])


def deploy_shim(cloudformation, body: str, parameters: dict[str, str]) -> dict[str, str]:
    """Create the shim stack, wait for it, and return its outputs."""
    cloudformation.create_stack(StackName=STACK_NAME, TemplateBody=body,
                                Parameters=[{"ParameterKey": k, "ParameterValue": v}
                                            for k, v in parameters.items()])
    cloudformation.get_waiter("stack_create_complete").wait(
        StackName=STACK_NAME, WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    stack = cloudformation.describe_stacks(StackName=STACK_NAME)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def delete_shim(cloudformation) -> None:
    cloudformation.delete_stack(StackName=STACK_NAME)
    cloudformation.get_waiter("stack_delete_complete").wait(
        StackName=STACK_NAME, WaiterConfig={"Delay": 1, "MaxAttempts": 60})


def root_module_apply(work: Path, aws_url: str, model_data_url: str, destroy: bool = False) -> dict:
    """The real ``tofu apply`` (or destroy) of the root module against the local AWS.

    State and provider data stay in ``work``; only runs where ``aws_provider_available()``.
    """
    env = dict(os.environ, TF_DATA_DIR=str(work / "tf-data"))
    variables = ["-var", f"aws_endpoint_url={aws_url}", "-var", f"model_data_url={model_data_url}",
                 "-var", "whisper_model_size=tiny.en", "-var", "sagemaker_instance_type=ml.g4dn.xlarge",
                 "-var", "endpoint_name=whisper-endpoint-lca-demo", "-state", str(work / "root.tfstate")]
    if not destroy:
        _tofu("init", "-input=false", "-no-color", cwd=REPO, env=env)
    _tofu("destroy" if destroy else "apply", "-auto-approve", "-input=false", "-no-color", *variables,
          cwd=REPO, env=env)
    if destroy:
        return {}
    out = json.loads(_tofu("output", "-json", "-state", str(work / "root.tfstate"), cwd=REPO, env=env))
    return {k: v["value"] for k, v in out.items()}
