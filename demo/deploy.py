"""Step 3: the deployment LCA sees, on the local AWS.

* ``terraform apply`` (or ``tofu apply``: see :func:`demo_cli`) of the root module (LCA's
  parameters as variables, the artifact of step 2) with the real hashicorp/aws provider, in a
  copy of the HCL pinned to the provider this machine has (``demo.terraform.terraform_copy``):
  IAM role, SageMaker model, endpoint configuration, endpoint and autoscaling, all in the
  local AWS (moto). Without a provider
  in the CLIs' mirror the demo says it skips this, and why, instead of pretending.
* The LCA CloudFormation shim needs no provider: ``modules/whisper_sagemaker/modules/lca``
  renders it with a real apply (provider-less module), and the rendered template
  is deployed into the local CloudFormation with the 11 parameters LCA's main stack
  passes; its ``WhisperSageMakerEndpointName`` output names the endpoint the replay calls.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path

from builder.cache import cache_root
from demo.terraform import LCA_MODULE as LCA_MODULE  # re-exported: demo.run reads them here
from demo.terraform import REPO as REPO
from demo.terraform import Cli, TerraformError, lca_root, local_aws_provider_version, point_at_local_aws, terraform_copy

STACK_NAME = "lca-demo-whisper"
ROOT_ENDPOINT = "whisper-endpoint-lca-demo"


def tofu_built() -> bool:
    """``scripts/tofu``'s OpenTofu is already built (asking the script otherwise starts the build)."""
    built = list((cache_root() / "toolchain").glob("opentofu-*/bin/tofu"))
    return Cli("tofu").script.is_file() and any(os.access(b, os.X_OK) for b in built)


@functools.cache
def demo_cli() -> Cli | None:
    """The CLI the demo deploys with, never built by the demo: HashiCorp Terraform where it is
    on PATH (most machines that run Terraform), else OpenTofu once ``scripts/tofu`` has built it
    (``scripts/setup.sh demo`` does so only where Terraform is missing); None if neither."""
    terraform = Cli("terraform")
    if terraform.script.is_file() and terraform.run("version", check=False).returncode == 0:
        return terraform
    return Cli("tofu") if tofu_built() else None


def aws_provider_available(cli: Cli) -> bool:
    """A hashicorp/aws provider sits in (or can be linked into) the CLIs' filesystem mirror.

    Any version will do: the apply runs in a copy whose override file pins that version.
    """
    try:
        local_aws_provider_version(cli)
    except TerraformError:
        return False
    return True


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


@dataclass(frozen=True)
class RenderedShim:
    """The shim template OpenTofu rendered, and the outputs it declares."""

    body: str
    outputs: dict


def render_shim(cli: Cli, work: Path, endpoint_name: str, bucket: str) -> RenderedShim:
    """``apply`` a throw-away root calling modules/lca for the demo's endpoint."""
    root = lca_root(work / "lca-shim", cli, endpoint_name=endpoint_name, whisper_model_size="tiny.en",
                    s3_bucket_name=bucket, deployed={"endpoint_name": endpoint_name, "s3_bucket_name": bucket})
    cli.run("apply", "-auto-approve", "-input=false", cwd=root)
    out = cli.outputs(root)
    return RenderedShim(out["shim_template_body"], out["shim_outputs"])


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


def root_module_apply(cli: Cli, work: Path, aws_url: str, model_data_url: str, destroy: bool = False) -> dict:
    """The real ``apply`` (or destroy) of the root module against the local AWS.

    Runs in ``work/hcl``, a copy of the HCL pinned to the local provider (state stays there);
    the artifact is step 2's, so the module builds nothing. Only where ``aws_provider_available()``.
    """
    root = work / "hcl"
    if not root.is_dir():
        terraform_copy(root, local_aws_provider_version(cli))
        cli.init(root)
    bucket = model_data_url.removeprefix("s3://").split("/", 1)[0]
    # The local AWS takes any credentials; a real profile must neither reach it nor be needed.
    env = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
           "AWS_PROFILE": None}
    point_at_local_aws(root, aws_url)  # the local AWS's URL may change between runs: written every time
    variables = ["-var", "aws_region=us-east-1",
                 "-var", f"model_data_url={model_data_url}", "-var", f"s3_bucket_name={bucket}",
                 "-var", "whisper_model_size=tiny.en", "-var", f"endpoint_name={ROOT_ENDPOINT}"]
    cli.run("destroy" if destroy else "apply", "-auto-approve", "-input=false", *variables, cwd=root, env=env)
    return {} if destroy else cli.outputs(root)
