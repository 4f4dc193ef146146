"""Apply for real, with the real hashicorp/aws provider, against the local AWS (moto + the
patches in scripts/local_aws.py), in the pytest-terraform style: the fixture applies in setup
and destroys in teardown. Each root goes apply -> `plan -detailed-exitcode` (no changes) ->
a change that replaces the endpoint configuration -> destroy, after which
the local AWS holds exactly what it held before (every service the modules use is listed).

* the root module with LCA's defaults: it builds the artifact through `python -m builder` into
  a bucket it creates. Only the model is tiny.en (the one model this machine has offline, from
  a Hub cache), the wheels are not vendored (tests/builder covers vendoring) and the builder
  runs with this interpreter; an override file in the copy sets that, the module is unchanged.
* examples/complete: every feature (VPC, KMS, data capture, alarms, rolling deployment).
* examples/lca with its CloudFormation shim stack, with OpenTofu and with Terraform.
* examples/post-call: an asynchronous endpoint scaling from zero on its queue, with its bucket
  and SNS topics; the role's grants are read back from IAM.
* examples/streaming: the serving image, GPU scaling, and the caller's streaming policy read
  back from IAM.

Each root runs its whole life in its own thread, all at once (most of an apply is waiting: the
provider polls a new S3 lifecycle configuration for ~55 s, as it does on AWS); what the local AWS
shows is recorded at each step, and the tests read those records.
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from apply_testlib import Deployment, LocalAws, hub_cache_for_tiny_en, snapshot
from terraform_testlib import Cli, point_at_local_aws, terraform_copy

from builder.plan import Selection, plan

NAMES = ("root", "complete", "lca-tofu", "lca-terraform", "post-call", "streaming")
STEPS = ("apply", "plan", "shim update", "change", "destroy")
# What `python -m serving_image build` prints (tests/image pushes real ones to a local registry).
SERVING_IMAGE = ("123456789012.dkr.ecr.us-east-1.amazonaws.com/whisper-serving@sha256:"
                 "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8")


class Life:
    """One deployment's steps run in order in a thread; each step's result (or error) is kept."""

    def __init__(self, deployment: Deployment, aws: LocalAws) -> None:
        self.deployment, self.aws = deployment, aws
        self.results: dict[str, tuple[object, BaseException | None]] = {}
        self.done = {step: threading.Event() for step in STEPS}

    def _step(self, step: str, action: Callable[[], object]) -> bool:
        try:
            self.results[step] = (action(), None)
        except Exception as error:  # reported by the test that reads this step
            self.results[step] = (None, error)
        self.done[step].set()
        return self.results[step][1] is None

    def run(self) -> None:
        d = self.deployment
        steps = [("apply", lambda: self._observe(d.apply())),
                 ("plan", d.plan_exit_code),
                 ("shim update", self._update_shim_stack),
                 ("change", lambda: self._observe(d.apply(changed=True)))]
        for step, action in steps:
            if not self._step(step, action):
                break
        self._step("destroy", lambda: d.destroy() if d.applied else None)
        for event in self.done.values():
            event.set()

    def _observe(self, outputs: dict) -> dict:
        name = outputs.get("whisper_sagemaker_endpoint_name") or outputs["endpoint_name"]
        observed = {"outputs": outputs, "endpoint_name": name, "seen": snapshot(self.aws, name)}
        if "stream_policy_arn" in outputs:  # read now: the life's later steps change and destroy it
            iam = self.aws.client("iam")
            policy = iam.get_policy(PolicyArn=outputs["stream_policy_arn"])["Policy"]
            version = iam.get_policy_version(PolicyArn=policy["Arn"], VersionId=policy["DefaultVersionId"])
            observed["stream_policy"] = version["PolicyVersion"]["Document"]
            observed["endpoint_arn"] = self.aws.client("sagemaker").describe_endpoint(EndpointName=name)["EndpointArn"]
        return observed

    def _update_shim_stack(self) -> dict | None:
        """What LCA does when its main stack is updated: re-send the 11 parameters, some changed."""
        stacks = self.results["apply"][0]["seen"]["stacks"]
        if not stacks:
            return None
        cloudformation = self.aws.client("cloudformation")
        before = cloudformation.describe_stacks(StackName=stacks[0])["Stacks"][0]
        changed = {p["ParameterKey"]: p["ParameterValue"] for p in before["Parameters"]}
        changed.update(SageMakerInstanceType="ml.g4dn.xlarge", AutoScalingMaxCapacity="2")
        cloudformation.update_stack(StackName=stacks[0], UsePreviousTemplate=True, Parameters=[
            {"ParameterKey": k, "ParameterValue": v} for k, v in changed.items()])
        cloudformation.get_waiter("stack_update_complete").wait(StackName=stacks[0],
                                                                WaiterConfig={"Delay": 1, "MaxAttempts": 30})
        after = cloudformation.describe_stacks(StackName=stacks[0])["Stacks"][0]
        return {"before": before, "after": after}

    def result(self, step: str):
        self.done[step].wait(timeout=900)
        if step not in self.results:
            raise AssertionError(f"{self.deployment.name}: {step} did not run (an earlier step failed)")
        value, error = self.results[step]
        if error is not None:
            raise AssertionError(f"{self.deployment.name}: {step} failed:\n{error}")
        return value


def _override(path: Path, text: str) -> None:
    path.write_text("# Written by tests/terraform/test_terraform_apply.py\n" + text)


def _deployments(tmp: Path, aws: LocalAws) -> dict[str, Deployment]:
    copies = {name: terraform_copy(tmp / name / "repo") for name in CLI_OF}
    hf_cache = hub_cache_for_tiny_en(tmp / "hf-cache")
    root = copies["tofu"]
    _override(root / "builder_override.tf", f"""module "whisper" {{
  builder = {{
    python = {json.dumps(sys.executable)}
    wheels = "none"
    environment = {{
      AWS_ENDPOINT_URL = {json.dumps(aws.url)}
      HF_HUB_OFFLINE   = "1"
      HF_HUB_CACHE     = {json.dumps(str(hf_cache))}
    }}
  }}
}}
""")
    # The roots as users have them; each copy's provider is pointed at the local AWS by an override file.
    for where in (root, root / "examples" / "complete", root / "examples" / "post-call",
                  root / "examples" / "streaming",
                  *(copy / "examples" / "lca" for copy in copies.values())):
        point_at_local_aws(where, aws.url)
    artifact = "s3://whisper-complete-artifacts/whisper/{}/model.tar.gz"
    lca_artifact = "s3://lca-artifacts/whisper/{}/model.tar.gz"
    post_call_artifact = "s3://whisper-post-call-artifacts/whisper/{}/model.tar.gz"
    streaming_artifact = "s3://whisper-streaming-artifacts/whisper/{}/model.tar.gz"
    return {
        "root": Deployment("root", Cli("tofu"), root, {"aws_region": "us-east-1", "whisper_model_size": "tiny.en"},
                           {"sagemaker_instance_type": "ml.g4dn.xlarge"}),
        "complete": Deployment("complete", Cli("tofu"), root / "examples" / "complete",
                               {"model_data_url": artifact.format("1" * 64)},
                               {"model_data_url": artifact.format("2" * 64)}),
        "lca-tofu": Deployment("lca-tofu", Cli("tofu"), copies["tofu"] / "examples" / "lca",
                               {"lca_stack_name": "lca", "create_lca_shim_stack": True,
                                "model_data_url": lca_artifact.format("1" * 64)},
                               {"model_data_url": lca_artifact.format("2" * 64)}),
        "lca-terraform": Deployment("lca-terraform", Cli("terraform"), copies["terraform"] / "examples" / "lca",
                                    {"lca_stack_name": "lca2", "create_lca_shim_stack": True,
                                     "model_data_url": lca_artifact.format("3" * 64)},
                                    {"sagemaker_instance_type": "ml.g4dn.xlarge"}),
        "post-call": Deployment("post-call", Cli("tofu"), root / "examples" / "post-call",
                                {"model_data_url": post_call_artifact.format("1" * 64)},
                                {"model_data_url": post_call_artifact.format("2" * 64)}),
        "streaming": Deployment("streaming", Cli("tofu"), root / "examples" / "streaming",
                                {"image_uri": SERVING_IMAGE, "model_data_url": streaming_artifact.format("1" * 64)},
                                {"model_data_url": streaming_artifact.format("2" * 64)}),
    }


CLI_OF = {"tofu": Cli("tofu"), "terraform": Cli("terraform")}


@pytest.fixture(scope="module")
def local_aws() -> Iterator[LocalAws]:
    aws = LocalAws()
    try:
        yield aws
    finally:
        aws.stop()


@pytest.fixture(scope="module")
def lives(local_aws: LocalAws, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """Every root applied, changed and destroyed, each in its own thread, started in setup; the
    teardown waits for them all (each destroys what it applied, also after a failed step)."""
    deployments = _deployments(tmp_path_factory.mktemp("apply"), local_aws)
    before = local_aws.inventory()
    pool = ThreadPoolExecutor(len(deployments))
    list(pool.map(lambda d: d.cli.init(d.root), deployments.values()))
    lives = {name: Life(d, local_aws) for name, d in deployments.items()}
    for life in lives.values():
        pool.submit(life.run)
    try:
        yield {"lives": lives, "before": before, "aws": local_aws}
    finally:
        pool.shutdown(wait=True)


@pytest.mark.parametrize("name", NAMES)
def test_apply(lives: dict, name: str) -> None:
    applied = lives["lives"][name].result("apply")
    seen, endpoint_name = applied["seen"], applied["endpoint_name"]
    assert seen["status"] == "InService" and seen["network_isolation"] is True
    assert seen["scalable_targets"] == [f"endpoint/{endpoint_name}/variant/AllTraffic"]
    assert seen["scaling_policies"]
    assert (seen["async_config"] is not None) == (name == "post-call")  # real-time unless asked
    if name == "root":  # LCA's defaults: ml.g5.2xlarge, and the artifact the module built
        assert seen["instance_type"] == "ml.g5.2xlarge"
        handler = lives["lives"]["root"].deployment.root / "inference"  # the copy's snapshot
        key = plan(Selection(model_size="tiny.en", wheels="none", handler_dir=handler))["s3_key"]
        assert seen["model_data_url"] == f"s3://{applied['outputs']['s3_bucket_name']}/{key}"
    if name.startswith("lca"):
        assert len(seen["stacks"]) == 1
        assert applied["outputs"]["lca_shim_outputs"]["WhisperSageMakerEndpointName"] == endpoint_name


def test_post_call_endpoint_is_asynchronous_and_scales_from_zero(lives: dict) -> None:
    applied = lives["lives"]["post-call"].result("apply")
    seen, outputs, name = applied["seen"], applied["outputs"], applied["endpoint_name"]
    bucket = outputs["bucket_name"]
    assert seen["async_config"] == {
        "ClientConfig": {"MaxConcurrentInvocationsPerInstance": 2},
        "OutputConfig": {"S3OutputPath": f"s3://{bucket}/transcripts/", "S3FailurePath": f"s3://{bucket}/failures/",
                         "NotificationConfig": {"SuccessTopic": outputs["success_topic_arn"],
                                                "ErrorTopic": outputs["error_topic_arn"]}},
    }
    assert seen["capacity"] == [(0, 2)]  # scale to zero
    policies = seen["policy_details"]
    assert sorted(policies) == [f"{name}-backlog-per-instance", f"{name}-scale-from-zero"]  # no GPU policy
    tracking = policies[f"{name}-backlog-per-instance"]
    assert tracking["PolicyType"] == "TargetTrackingScaling"
    config = tracking["TargetTrackingScalingPolicyConfiguration"]
    assert config["TargetValue"] == 4 and config["CustomizedMetricSpecification"] == {
        "MetricName": "ApproximateBacklogSizePerInstance", "Namespace": "AWS/SageMaker", "Statistic": "Average",
        "Dimensions": [{"Name": "EndpointName", "Value": name}]}
    step = policies[f"{name}-scale-from-zero"]
    assert step["PolicyType"] == "StepScaling"
    assert step["StepScalingPolicyConfiguration"]["AdjustmentType"] == "ChangeInCapacity"
    assert step["StepScalingPolicyConfiguration"]["StepAdjustments"] == [
        {"MetricIntervalLowerBound": 0.0, "ScalingAdjustment": 1}]
    alarm = seen["alarms"][f"{name}-backlog-without-capacity"]
    assert (alarm["Namespace"], alarm["MetricName"], alarm["Threshold"], alarm["ComparisonOperator"]) == (
        "AWS/SageMaker", "HasBacklogWithoutCapacity", 1.0, "GreaterThanOrEqualToThreshold")
    assert alarm["Dimensions"] == [{"Name": "EndpointName", "Value": name}]
    assert alarm["AlarmActions"] == [step["PolicyARN"]] == [outputs["autoscaling_policy_arns"]["scale_from_zero"]]


def test_post_call_role_grants_exactly_the_async_paths_and_topics(lives: dict) -> None:
    """The policy IAM holds (what the provider sent), not the plan: each async grant, exactly."""
    outputs = lives["lives"]["post-call"].result("apply")["outputs"]
    iam = lives["aws"].client("iam")
    role = outputs["role_arn"].rsplit("/", 1)[1]
    document = iam.get_role_policy(RoleName=role, PolicyName="whisper-endpoint")["PolicyDocument"]
    grants = {s["Sid"]: (s["Action"], s["Resource"]) for s in document["Statement"] if "Async" in s["Sid"]}
    bucket, as_list = outputs["bucket_name"], lambda v: sorted(v) if isinstance(v, list) else [v]
    assert {sid: (as_list(a), as_list(r)) for sid, (a, r) in grants.items()} == {
        "ReadAsyncRequests": (["s3:GetObject"], [f"arn:aws:s3:::{bucket}/incoming/*"]),
        "WriteAsyncResults": (["s3:AbortMultipartUpload", "s3:PutObject"],
                              sorted([f"arn:aws:s3:::{bucket}/transcripts/*", f"arn:aws:s3:::{bucket}/failures/*"])),
        "PublishAsyncNotifications": (["sns:Publish"],
                                      sorted([outputs["success_topic_arn"], outputs["error_topic_arn"]])),
    }


def test_streaming_endpoint_runs_the_serving_image_and_callers_get_the_stream_action(lives: dict) -> None:
    applied = lives["lives"]["streaming"].result("apply")
    seen, outputs, name = applied["seen"], applied["outputs"], applied["endpoint_name"]
    assert seen["image"] == outputs["image_uri"] == SERVING_IMAGE
    assert "SAGEMAKER_PROGRAM" not in seen["environment"]  # no DLC toolkit: the entrypoint serves
    assert seen["scaling_policies"] == [f"{name}-gpu-utilization"]  # scaling still on the GPU
    # The policy IAM held after the apply (what the provider sent): the streaming action on this endpoint alone.
    assert applied["stream_policy"]["Statement"] == [{
        "Sid": "StreamToWhisperEndpoint", "Effect": "Allow",
        "Action": "sagemaker:InvokeEndpointWithBidirectionalStream", "Resource": applied["endpoint_arn"]}]
    invocation = outputs["streaming_invocation"]
    assert invocation["endpoint_name"] == name and invocation["signing_name"] == "sagemaker"
    assert invocation["url"] == f"https://runtime.sagemaker.us-east-1.amazonaws.com:8443/endpoints/{name}/invocations-bidirectional-stream"


@pytest.mark.parametrize("name", NAMES)
def test_plan_after_apply_has_no_changes(lives: dict, name: str) -> None:
    code, text = lives["lives"][name].result("plan")
    assert code == 0, text


@pytest.mark.parametrize("name", ["lca-tofu", "lca-terraform"])
def test_the_shim_stack_takes_a_parameter_change(lives: dict, name: str) -> None:
    """LCA updating its main stack re-sends the nested stack's parameters: the shim (a
    WaitConditionHandle whose metadata records them) must update cleanly."""
    update = lives["lives"][name].result("shim update")
    after = update["after"]
    assert after["StackStatus"] == "UPDATE_COMPLETE"
    params = {p["ParameterKey"]: p["ParameterValue"] for p in after["Parameters"]}
    assert params["SageMakerInstanceType"] == "ml.g4dn.xlarge" and params["AutoScalingMaxCapacity"] == "2"
    assert after["Outputs"] == update["before"]["Outputs"]  # the endpoint is Terraform's, not LCA's request


@pytest.mark.parametrize("name", NAMES)
def test_a_change_replaces_the_endpoint_configuration_cleanly(lives: dict, name: str) -> None:
    life = lives["lives"][name]
    before, after = life.result("apply")["seen"], life.result("change")["seen"]
    assert after["status"] == "InService" and after["config"] != before["config"]
    assert before["config"] not in after["configs"]  # create_before_destroy finished its destroy
    changed = life.deployment.change
    if "sagemaker_instance_type" in changed:  # allowed only with the scalable target re-registered
        assert after["instance_type"] == changed["sagemaker_instance_type"]
    else:
        assert after["model_data_url"] == changed["model_data_url"]
    assert after["scalable_targets"] == before["scalable_targets"]
    assert after["scaling_policies"] == before["scaling_policies"]


def test_destroy_leaves_nothing(lives: dict) -> None:
    for life in lives["lives"].values():
        life.result("destroy")
    assert lives["aws"].inventory() == lives["before"]
