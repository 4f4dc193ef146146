"""Run moto's AWS API server on 127.0.0.1: the local AWS for the tests and the demo.

Usage: python scripts/local_aws.py [--port N]   (0 picks a free port)
Prints ``ready http://127.0.0.1:PORT`` on stdout once it answers, then serves until
terminated.

moto 5.2.5 lacks a few things the real hashicorp/aws provider calls when it applies the
Terraform module. Each gap is closed by one small patch below, named after the AWS
behaviour it reproduces, applied in this process only (``PATCHES``; the README's Testing
section lists them). Nothing here changes what moto does for calls it already gets right.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
import urllib.request

# AWS-managed policies (AmazonSageMakerFullAccess & co.) exist in every account.
os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")


def sagemaker_accepts_current_gpu_types() -> None:
    """CreateEndpointConfig accepts the ml.g5/g6/p4/p5 types (moto's enum predates them)."""
    from moto.sagemaker.models import FakeEndpointConfig

    original = FakeEndpointConfig.validate_instance_type

    def validate_instance_type(self, instance_type: str) -> None:
        if not instance_type.startswith(("ml.g5.", "ml.g6.", "ml.g6e.", "ml.p4d.", "ml.p5.")):
            original(self, instance_type)

    FakeEndpointConfig.validate_instance_type = validate_instance_type


def sagemaker_keeps_network_isolation() -> None:
    """DescribeModel returns the EnableNetworkIsolation that CreateModel was given."""
    from moto.sagemaker.responses import SageMakerResponse

    original = SageMakerResponse.create_model

    def create_model(self):
        result = original(self)
        model = self.sagemaker_backend.describe_model(self._get_param("ModelName"))
        model.enable_network_isolation = bool(self._get_param("EnableNetworkIsolation", False))
        return result

    SageMakerResponse.create_model = create_model


def sagemaker_omits_unset_configs() -> None:
    """DescribeModel has no VpcConfig and DescribeEndpointConfig no DataCaptureConfig when
    none was given (moto returns empty ones, which the provider reads as a change)."""
    from moto.core.responses import ActionResult
    from moto.sagemaker.responses import SageMakerResponse

    def without_empty(original, key: str):
        def describe(self):
            result = original(self).result
            return ActionResult({name: value for name, value in result.items() if name != key or value})
        return describe

    for action, key in (("describe_model", "VpcConfig"), ("describe_endpoint_config", "DataCaptureConfig")):
        setattr(SageMakerResponse, action, without_empty(getattr(SageMakerResponse, action), key))


def sagemaker_keeps_deployment_config() -> None:
    """DescribeEndpoint returns the DeploymentConfig of the last CreateEndpoint/UpdateEndpoint as
    LastDeploymentConfig (moto drops it, and the provider then plans to replace the endpoint)."""
    from moto.sagemaker.responses import SageMakerResponse

    original = SageMakerResponse.create_endpoint

    def create_endpoint(self):
        result = original(self)
        endpoint = self.sagemaker_backend.endpoints[self._get_param("EndpointName")]
        endpoint.last_deployment_config = self._get_param("DeploymentConfig")  # None: omitted
        return result

    SageMakerResponse.create_endpoint = create_endpoint


def _refuse_instance_type_change_under_autoscaling(backend, endpoint, config: dict) -> None:
    """AWS fails an update that changes the instance type of a variant registered as a
    scalable target ("deregister it first")."""
    from moto.applicationautoscaling.models import applicationautoscaling_backends
    from moto.sagemaker.exceptions import ValidationError

    targets = applicationautoscaling_backends[backend.account_id][backend.region_name].targets
    scaled = targets.get("sagemaker:variant:DesiredInstanceCount", {})
    old = backend.describe_endpoint_config(endpoint.endpoint_config_name)["ProductionVariants"]
    old_types = {v["VariantName"]: v.get("InstanceType") for v in old}
    for variant in config["ProductionVariants"]:
        name = variant["VariantName"]
        changed = name in old_types and old_types[name] != variant.get("InstanceType")
        if changed and f"endpoint/{endpoint.endpoint_name}/variant/{name}" in scaled:
            raise ValidationError(message=f'The variant(s) "[{name}]" is/are in use by Auto Scaling; '
                                  "deregister the scalable target before changing its instance type.")


def sagemaker_update_endpoint() -> None:
    """UpdateEndpoint moves an endpoint to another configuration. AWS does it in the
    background, keeping the old fleet until the new one is healthy; locally it is instant.
    Like AWS, it refuses to change the instance type of an auto-scaled variant."""
    from moto.core.utils import utcnow
    from moto.sagemaker.responses import SageMakerResponse

    def update_endpoint(self):
        backend = self.sagemaker_backend
        backend.describe_endpoint(self._get_param("EndpointName"))  # ValidationError if missing
        endpoint = backend.endpoints[self._get_param("EndpointName")]
        config = backend.describe_endpoint_config(self._get_param("EndpointConfigName"))
        _refuse_instance_type_change_under_autoscaling(backend, endpoint, config)
        endpoint.endpoint_config_name = config["EndpointConfigName"]
        endpoint.production_variants = endpoint._process_production_variants(config["ProductionVariants"])
        endpoint.data_capture_config = config.get("DataCaptureConfig")
        endpoint.last_modified_time = utcnow()
        endpoint.last_deployment_config = self._get_param("DeploymentConfig")
        return json.dumps({"EndpointArn": endpoint.arn})

    SageMakerResponse.update_endpoint = update_endpoint


def autoscaling_tags() -> None:
    """Scalable targets carry tags: given to RegisterScalableTarget, TagResource and
    UntagResource, returned by ListTagsForResource (the provider reads them after every apply)."""
    from moto.applicationautoscaling.responses import ApplicationAutoScalingResponse

    tags: dict[str, dict[str, str]] = {}  # scalable target ARN -> tags
    register = ApplicationAutoScalingResponse.register_scalable_target

    def register_scalable_target(self):
        result = register(self)
        tags.setdefault(json.loads(result)["ScalableTargetARN"], {}).update(self._get_param("Tags") or {})
        return result

    def tag_resource(self):
        tags.setdefault(self._get_param("ResourceARN"), {}).update(self._get_param("Tags") or {})
        return "{}"

    def untag_resource(self):
        for key in self._get_param("TagKeys") or []:
            tags.get(self._get_param("ResourceARN"), {}).pop(key, None)
        return "{}"

    def list_tags_for_resource(self):
        return json.dumps({"Tags": tags.get(self._get_param("ResourceARN"), {})})

    ApplicationAutoScalingResponse.register_scalable_target = register_scalable_target
    ApplicationAutoScalingResponse.tag_resource = tag_resource
    ApplicationAutoScalingResponse.untag_resource = untag_resource
    ApplicationAutoScalingResponse.list_tags_for_resource = list_tags_for_resource


def autoscaling_scaling_activities() -> None:
    """DescribeScalingActivities answers (with none: nothing scales locally)."""
    from moto.applicationautoscaling.responses import ApplicationAutoScalingResponse

    ApplicationAutoScalingResponse.describe_scaling_activities = lambda self: '{"ScalingActivities": []}'


def autoscaling_deregister_deletes_policies() -> None:
    """DeregisterScalableTarget also deletes the target's scaling policies and scheduled actions
    (moto keeps them, hiding that they are gone after a target is re-registered)."""
    from moto.applicationautoscaling.models import ApplicationAutoscalingBackend

    original = ApplicationAutoscalingBackend.deregister_scalable_target

    def deregister_scalable_target(self, namespace: str, r_id: str, dimension: str) -> None:
        original(self, namespace, r_id, dimension)
        target = (namespace, r_id, dimension)
        for key, policy in list(self.policies.items()):
            if (policy.service_namespace, policy.resource_id, policy.scalable_dimension) == target:
                policy.delete_alarms(self.account_id, self.region_name)
                del self.policies[key]
        self.scheduled_actions = [a for a in self.scheduled_actions
                                  if (a.resource_id, a.scalable_dimension) != (r_id, dimension)]

    ApplicationAutoscalingBackend.deregister_scalable_target = deregister_scalable_target


def autoscaling_missing_policy_is_not_found() -> None:
    """DeleteScalingPolicy of a policy that is not there is ObjectNotFoundException (moto: a
    ValidationException). The provider takes the former as already deleted; a delete it retried
    after a slow answer on a busy machine otherwise failed the whole destroy."""
    from moto.applicationautoscaling.models import ApplicationAutoscalingBackend, FakeApplicationAutoscalingPolicy
    from moto.core.exceptions import JsonRESTError

    original = ApplicationAutoscalingBackend.delete_scaling_policy

    def delete_scaling_policy(self, policy_name: str, service_namespace: str, resource_id: str,
                              scalable_dimension: str) -> None:
        key = FakeApplicationAutoscalingPolicy.formulate_key(service_namespace, resource_id, scalable_dimension,
                                                             policy_name)
        if key not in self.policies:
            raise JsonRESTError("ObjectNotFoundException", f"No scaling policy found for service namespace: "
                                f"{service_namespace}, resource ID: {resource_id}, scalable dimension: "
                                f"{scalable_dimension}, policy name: {policy_name}")
        original(self, policy_name, service_namespace, resource_id, scalable_dimension)

    ApplicationAutoscalingBackend.delete_scaling_policy = delete_scaling_policy


def s3_requests_arrive_over_tls() -> None:
    """A bucket policy's "deny unless aws:SecureTransport" never matches an SDK call to AWS, which
    always uses TLS. moto (plain HTTP here) cannot evaluate the Bool condition and applies
    such a deny to every request; evaluate the policy without those statements."""
    from moto.iam.access_control import IAMPolicy, PermissionResult
    from moto.s3.models import FakeBucket

    def insecure_transport_only(statement: dict) -> bool:
        value = statement.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport")
        return statement.get("Effect") == "Deny" and value in ("false", ["false"])

    def get_permission(self, action: str, resource: str):
        if self.policy is None:
            return PermissionResult.NEUTRAL
        policy = json.loads(self.policy)
        statements = policy["Statement"] if isinstance(policy["Statement"], list) else [policy["Statement"]]
        policy["Statement"] = [s for s in statements if not insecure_transport_only(s)]
        return IAMPolicy(json.dumps(policy)).is_action_permitted(action, resource)

    FakeBucket.get_permission = get_permission


PATCHES = [
    sagemaker_accepts_current_gpu_types,
    sagemaker_keeps_network_isolation,
    sagemaker_omits_unset_configs,
    sagemaker_keeps_deployment_config,
    sagemaker_update_endpoint,
    autoscaling_tags,
    autoscaling_scaling_activities,
    autoscaling_deregister_deletes_policies,
    autoscaling_missing_policy_is_not_found,
    s3_requests_arrive_over_tls,
]


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    from moto.server import ThreadedMotoServer

    for patch in PATCHES:
        patch()
    port = args.port or free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"{url}/moto-api/data.json", timeout=2).read()
            break
        except OSError:
            if time.monotonic() > deadline:
                print("ERROR: moto server did not answer within 30 s", file=sys.stderr)
                return 1
            time.sleep(0.1)
    print(f"ready {url}", flush=True)
    stop = threading.Event()
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
