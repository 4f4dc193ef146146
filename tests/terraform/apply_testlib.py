"""Helpers for the apply tests: a private local AWS, what it holds, and one deployment's life
(apply -> plan -> change -> destroy) through a CLI in a pinned copy of the HCL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import boto3
from terraform_testlib import REPO, Cli

from replay.clips import default_model_dir

CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1",
               "AWS_DEFAULT_REGION": "us-east-1"}


def hub_cache_for_tiny_en(root: Path) -> Path:
    """A Hugging Face Hub cache holding tiny.en at its pinned commit (what `builder build
    --model-size tiny.en` reads with HF_HUB_OFFLINE=1), made by the builder tests' helper."""
    sys.path.insert(0, str(REPO / "tests" / "builder"))
    try:
        from builder_testlib import make_hf_cache
    finally:
        sys.path.pop(0)
    return make_hf_cache(root, default_model_dir())


class LocalAws:
    """scripts/local_aws.py (moto + our patches) on a free port, for one test module."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen([sys.executable, str(REPO / "scripts" / "local_aws.py")],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                                     env=dict(os.environ, **CREDENTIALS))
        line = self.proc.stdout.readline().strip()
        if not line.startswith("ready "):
            self.stop()
            raise AssertionError(f"local AWS (moto) failed to start: {line!r}")
        self.url = line.split(" ", 1)[1]

    def client(self, service: str):
        return boto3.client(service, endpoint_url=self.url, region_name="us-east-1",
                            aws_access_key_id="testing", aws_secret_access_key="testing")

    def inventory(self) -> dict[str, list]:
        """Everything a deployment of ours can leave behind, per service the modules use."""
        c = self.client
        live_keys = [k["KeyId"] for k in c("kms").list_keys()["Keys"]
                     if c("kms").describe_key(KeyId=k["KeyId"])["KeyMetadata"]["KeyState"] != "PendingDeletion"]
        targets = c("application-autoscaling").describe_scalable_targets(ServiceNamespace="sagemaker")
        policies = c("application-autoscaling").describe_scaling_policies(ServiceNamespace="sagemaker")
        stacks = c("cloudformation").list_stacks()["StackSummaries"]
        ec2 = c("ec2")
        return {
            "s3": sorted(b["Name"] for b in c("s3").list_buckets()["Buckets"]),
            "iam roles": sorted(r["RoleName"] for r in c("iam").list_roles()["Roles"]),
            "iam policies": sorted(p["PolicyName"] for p in c("iam").list_policies(Scope="Local")["Policies"]),
            "sagemaker models": sorted(m["ModelName"] for m in c("sagemaker").list_models()["Models"]),
            "sagemaker endpoint configs": sorted(e["EndpointConfigName"] for e in
                                                 c("sagemaker").list_endpoint_configs()["EndpointConfigs"]),
            "sagemaker endpoints": sorted(e["EndpointName"] for e in c("sagemaker").list_endpoints()["Endpoints"]),
            "autoscaling targets": sorted(t["ResourceId"] for t in targets["ScalableTargets"]),
            "autoscaling policies": sorted(p["PolicyName"] for p in policies["ScalingPolicies"]),
            "cloudwatch alarms": sorted(a["AlarmName"] for a in c("cloudwatch").describe_alarms()["MetricAlarms"]),
            "cloudformation stacks": sorted(s["StackName"] for s in stacks if s["StackStatus"] != "DELETE_COMPLETE"),
            "sns topics": sorted(t["TopicArn"] for t in c("sns").list_topics()["Topics"]),
            "kms keys (not pending deletion)": sorted(live_keys),
            "ec2 vpcs": sorted(v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]),
            "ec2 subnets": sorted(s["SubnetId"] for s in ec2.describe_subnets()["Subnets"]),
            "ec2 security groups": sorted(g["GroupId"] for g in ec2.describe_security_groups()["SecurityGroups"]),
            "ec2 vpc endpoints": sorted(e["VpcEndpointId"] for e in ec2.describe_vpc_endpoints()["VpcEndpoints"]
                                        if e["State"].lower() != "deleted"),
            "ec2 route tables": sorted(t["RouteTableId"] for t in ec2.describe_route_tables()["RouteTables"]),
        }

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)
        self.proc.stdout.close()


@dataclass
class Deployment:
    """One root applied with one CLI: ``variables`` first, then ``change`` on top of them."""

    name: str
    cli: Cli
    root: Path
    variables: dict
    change: dict
    env: dict = field(default_factory=dict)
    log: list[str] = field(default_factory=list)
    applied: bool = False

    def _run(self, *args: str, variables: dict | None = None, check: bool = True) -> subprocess.CompletedProcess:
        var_file = self.root / f"{self.name}.tfvars.json"
        var_file.write_text(json.dumps(variables if variables is not None else self.variables))
        proc = self.cli.run(*args, "-input=false", f"-var-file={var_file}", cwd=self.root, check=check,
                            env=dict(CREDENTIALS, **self.env), timeout=600)
        self.log.append(f"$ {self.cli.name} {args[0]}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
        return proc

    def apply(self, changed: bool = False) -> dict:
        self.applied = True
        self._run("apply", "-auto-approve", variables=dict(self.variables, **self.change) if changed else None)
        return self.cli.outputs(self.root)

    def plan_exit_code(self, changed: bool = False) -> tuple[int, str]:
        """``plan -detailed-exitcode``: 0 no changes, 2 changes (the plan text says which)."""
        proc = self._run("plan", "-detailed-exitcode", check=False,
                         variables=dict(self.variables, **self.change) if changed else None)
        return proc.returncode, proc.stdout + proc.stderr

    def destroy(self) -> None:
        self._run("destroy", "-auto-approve", variables=dict(self.variables, **self.change))
        self.applied = False


def snapshot(aws: LocalAws, endpoint_name: str) -> dict:
    """What the local AWS shows of one endpoint, taken while its deployment is in that state."""
    sagemaker = aws.client("sagemaker")
    endpoint = sagemaker.describe_endpoint(EndpointName=endpoint_name)
    config = sagemaker.describe_endpoint_config(EndpointConfigName=endpoint["EndpointConfigName"])
    variant = config["ProductionVariants"][0]
    model = sagemaker.describe_model(ModelName=variant["ModelName"])
    resource_id = f"endpoint/{endpoint_name}/variant/{variant['VariantName']}"
    scaling = aws.client("application-autoscaling")
    targets = scaling.describe_scalable_targets(ServiceNamespace="sagemaker", ResourceIds=[resource_id])
    policies = scaling.describe_scaling_policies(ServiceNamespace="sagemaker", ResourceId=resource_id)
    stacks = [s for s in aws.client("cloudformation").describe_stacks()["Stacks"]
              if {"OutputKey": "WhisperSageMakerEndpointName", "OutputValue": endpoint_name} in s.get("Outputs", [])]
    return {
        "status": endpoint["EndpointStatus"],
        "config": endpoint["EndpointConfigName"],
        "configs": [c["EndpointConfigName"] for c in sagemaker.list_endpoint_configs()["EndpointConfigs"]],
        "instance_type": variant["InstanceType"],
        "network_isolation": model["EnableNetworkIsolation"],
        "model_data_url": model["PrimaryContainer"].get("ModelDataUrl"),
        "image": model["PrimaryContainer"]["Image"],
        "environment": model["PrimaryContainer"].get("Environment", {}),
        "async_config": config.get("AsyncInferenceConfig"),
        "scalable_targets": [t["ResourceId"] for t in targets["ScalableTargets"]],
        "capacity": [(t["MinCapacity"], t["MaxCapacity"]) for t in targets["ScalableTargets"]],
        "scaling_policies": sorted(p["PolicyName"] for p in policies["ScalingPolicies"]),
        "policy_details": {p["PolicyName"]: p for p in policies["ScalingPolicies"]},
        "alarms": {a["AlarmName"]: a for a in aws.client("cloudwatch").describe_alarms(
            AlarmNamePrefix=endpoint_name)["MetricAlarms"]},
        "stacks": [s["StackName"] for s in stacks],
    }
