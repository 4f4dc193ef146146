# Plan-level logic with mocked providers (`tofu test` / `terraform test` >= 1.7).
# Needs hashicorp/aws installed by `init` (see README, Testing).

mock_provider "aws" {
  # `id` (the region name) exists in hashicorp/aws 5.x and 6.x; the module reads it.
  mock_data "aws_region" {
    defaults = { id = "us-east-1" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws", dns_suffix = "amazonaws.com" }
  }
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
  }
  # OpenTofu fills computed attributes with random strings at plan time, and the provider
  # still validates the arguments they flow into: ARNs must look like ARNs.
  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::123456789012:role/whisper-sagemaker-mock" }
  }
}

variables {
  model_data_url = "s3://artifacts/whisper/abc/model.tar.gz"
}

run "disabled_module_plans_nothing" {
  command = plan
  variables { create = false }
  assert {
    condition = (length(aws_sagemaker_model.this) + length(aws_sagemaker_endpoint_configuration.this) +
      length(aws_sagemaker_endpoint.this) + length(aws_iam_role.this) + length(aws_s3_bucket.this) +
      length(aws_appautoscaling_target.this) + length(aws_cloudwatch_metric_alarm.this) +
    length(terraform_data.build_artifact)) == 0
    error_message = "create = false must plan zero resources"
  }
}

run "defaults_with_artifact" {
  command = plan
  assert {
    condition     = aws_sagemaker_endpoint.this[0].name == "whisper" && aws_sagemaker_endpoint_configuration.this[0].production_variants[0].variant_name == "AllTraffic"
    error_message = "endpoint whisper with variant AllTraffic expected"
  }
  assert {
    condition     = aws_sagemaker_model.this[0].enable_network_isolation && aws_sagemaker_model.this[0].primary_container[0].model_data_url == "s3://artifacts/whisper/abc/model.tar.gz"
    error_message = "network isolation on and the given tar.gz expected"
  }
  assert {
    condition     = aws_sagemaker_model.this[0].primary_container[0].image == "763104351884.dkr.ecr.us-east-1.amazonaws.com/huggingface-pytorch-inference:2.6.0-transformers4.49.0-gpu-py312-cu124-ubuntu22.04"
    error_message = "the region's DLC image expected"
  }
  assert {
    condition     = length(aws_s3_bucket.this) == 0 && length(terraform_data.build_artifact) == 0
    error_message = "a given artifact builds nothing and creates no bucket"
  }
}

run "opt_in_region_uses_its_own_registry" {
  # ap-northeast-3's DLCs live in 364406365360, not the default 763104351884
  # (sagemaker-python-sdk image_uri_config/huggingface.json).
  command = plan
  override_data {
    target = data.aws_region.current
    values = { id = "ap-northeast-3" }
  }
  assert {
    condition     = aws_sagemaker_model.this[0].primary_container[0].image == "364406365360.dkr.ecr.ap-northeast-3.amazonaws.com/huggingface-pytorch-inference:2.6.0-transformers4.49.0-gpu-py312-cu124-ubuntu22.04"
    error_message = "ap-northeast-3 must pull from its own DLC registry account"
  }
}

run "longest_name_fits_the_providers_prefix_limits" {
  # name_prefix limits in hashicorp/aws: IAM role 38, S3 bucket 37, SageMaker 37.
  command = plan
  variables { name = "abcdefghij-abcdefghij-abcdefghij-abcdefghij-abcdefghij-abcdefgh" }
  assert {
    condition     = length(aws_iam_role.this[0].name_prefix) <= 38 && length(aws_sagemaker_endpoint_configuration.this[0].name_prefix) <= 37 && length(aws_sagemaker_model.this[0].name) <= 63
    error_message = "a 63-character name must still give name prefixes the provider accepts"
  }
}

run "autoscaling_off_creates_no_scaling_resources" {
  command = plan
  variables { enable_autoscaling = false }
  assert {
    condition     = length(aws_appautoscaling_target.this) + length(aws_appautoscaling_policy.gpu_utilization) + length(aws_appautoscaling_policy.invocations) == 0
    error_message = "no scaling resources expected"
  }
}

run "gpu_metric_is_normalised_per_gpu" {
  command = plan
  variables { instance_type = "ml.g5.12xlarge" }
  assert {
    condition     = one([for m in aws_appautoscaling_policy.gpu_utilization[0].target_tracking_scaling_policy_configuration[0].customized_metric_specification[0].metrics : m.expression if m.return_data]) == "gpu_per_instance / 4"
    error_message = "ml.g5.12xlarge has 4 GPUs"
  }
}

run "given_bucket_creates_no_bucket" {
  command = plan
  variables {
    model_data_url = null
    bucket_name    = "mine"
  }
  assert {
    condition     = length(aws_s3_bucket.this) == 0 && length(terraform_data.build_artifact) == 1
    error_message = "builds into the given bucket without creating one"
  }
}

run "no_artifact_builds_into_a_new_bucket" {
  command = plan
  variables { model_data_url = null }
  assert {
    condition     = length(aws_s3_bucket.this) == 1 && length(aws_s3_bucket_policy.this) == 1 && length(terraform_data.build_artifact) == 1
    error_message = "bucket + build expected"
  }
}

run "uncompressed_prefix_uses_compression_none" {
  command = plan
  variables {
    model_data_url       = null
    model_data_s3_prefix = "s3://artifacts/whisper/abc/model/"
  }
  assert {
    condition     = aws_sagemaker_model.this[0].primary_container[0].model_data_source[0].s3_data_source[0].compression_type == "None"
    error_message = "CompressionType None expected"
  }
}

run "upper_case_name_rejected" {
  command = plan
  variables { name = "Whisper" }
  expect_failures = [var.name]
}

run "min_above_max_rejected" {
  command = plan
  variables { autoscaling = { min_capacity = 3, max_capacity = 2 } }
  expect_failures = [var.autoscaling]
}

run "target_out_of_range_rejected" {
  command = plan
  variables { autoscaling = { target_gpu_utilization = 95 } }
  expect_failures = [var.autoscaling]
}

run "kms_on_g5_rejected" {
  command = plan
  variables {
    instance_type = "ml.g5.2xlarge"
    kms_key_arn   = "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000"
  }
  expect_failures = [aws_sagemaker_endpoint_configuration.this]
}

run "kms_on_p3_accepted" {
  command = plan
  variables {
    instance_type = "ml.p3.2xlarge"
    kms_key_arn   = "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000"
  }
}

run "deployment_config_without_update_policy_rejected" {
  # The provider needs exactly one of blue_green_update_policy / rolling_update_policy.
  command = plan
  variables {
    deployment_config = { auto_rollback_alarm_names = ["whisper-5xx"] }
  }
  expect_failures = [var.deployment_config]
}

run "data_capture_without_modes_rejected" {
  # the provider needs at least one capture_options block
  command = plan
  variables {
    data_capture = { destination_s3_uri = "s3://capture/whisper", capture_modes = [] }
  }
  expect_failures = [var.data_capture]
}

run "data_capture_key_must_be_an_arn" {
  command = plan
  variables {
    data_capture = { destination_s3_uri = "s3://capture/whisper", kms_key_id = "alias/capture" }
  }
  expect_failures = [var.data_capture]
}

run "data_capture_is_writable_with_its_key" {
  command = plan
  variables {
    data_capture = {
      destination_s3_uri = "s3://capture/whisper"
      kms_key_id         = "arn:aws:kms:us-east-1:123456789012:key/11111111-1111-1111-1111-111111111111"
    }
  }
  assert {
    condition     = one([for s in data.aws_iam_policy_document.this[0].statement : s.resources if s.sid == "WriteDataCapture"]) == toset(["arn:aws:s3:::capture/whisper*"])
    error_message = "the role must be able to PutObject under the capture prefix"
  }
  assert {
    condition     = one([for s in data.aws_iam_policy_document.this[0].statement : s.resources if s.sid == "EncryptDataCapture"]) == toset(["arn:aws:kms:us-east-1:123456789012:key/11111111-1111-1111-1111-111111111111"])
    error_message = "the role must be able to encrypt captured objects with the capture key"
  }
  assert {
    condition     = length(aws_sagemaker_endpoint_configuration.this[0].data_capture_config[0].capture_options) == 2
    error_message = "Input and Output captured by default"
  }
}

run "metric_namespaces_and_log_arns_are_absolute" {
  command = plan
  assert {
    condition = alltrue(flatten([for s in data.aws_iam_policy_document.this[0].statement : [
      for c in s.condition : [for v in c.values : startswith(v, "/aws/sagemaker/Endpoints")] if c.variable == "cloudwatch:namespace"
    ]]))
    error_message = "CloudWatch namespaces of SageMaker endpoints start with a slash"
  }
  assert {
    condition = one([for s in data.aws_iam_policy_document.this[0].statement : s.resources if s.sid == "EndpointLogs"]) == toset([
      "arn:aws:logs:us-east-1:123456789012:log-group:/aws/sagemaker/Endpoints/whisper",
      "arn:aws:logs:us-east-1:123456789012:log-group:/aws/sagemaker/Endpoints/whisper:log-stream:*",
    ])
    error_message = "the role writes exactly the endpoint's log group"
  }
}

run "canary_without_its_size_rejected" {
  command = plan
  variables {
    deployment_config = { blue_green = { traffic_routing_type = "CANARY" } }
  }
  expect_failures = [var.deployment_config]
}

run "linear_without_its_size_rejected" {
  command = plan
  variables {
    deployment_config = { blue_green = { traffic_routing_type = "LINEAR" } }
  }
  expect_failures = [var.deployment_config]
}

run "all_at_once_with_a_canary_size_rejected" {
  command = plan
  variables {
    deployment_config = { blue_green = { traffic_routing_type = "ALL_AT_ONCE", canary_size_percent = 10 } }
  }
  expect_failures = [var.deployment_config]
}

run "linear_step_below_10_percent_rejected" {
  command = plan
  variables {
    deployment_config = { blue_green = { traffic_routing_type = "LINEAR", linear_step_size_percent = 5 } }
  }
  expect_failures = [var.deployment_config]
}

run "canary_with_its_size_accepted" {
  command = plan
  variables {
    deployment_config = { blue_green = { traffic_routing_type = "CANARY", canary_size_percent = 25 } }
  }
  assert {
    condition     = aws_sagemaker_endpoint.this[0].deployment_config[0].blue_green_update_policy[0].traffic_routing_configuration[0].canary_size[0].value == 25
    error_message = "the canary size reaches the endpoint"
  }
}

run "rolling_batch_above_50_percent_rejected" {
  command = plan
  variables {
    deployment_config = { rolling = { maximum_batch_size_value = 60 } }
  }
  expect_failures = [var.deployment_config]
}

run "rolling_batch_below_5_percent_rejected" {
  command = plan
  variables {
    deployment_config = { rolling = { maximum_batch_size_value = 4 } }
  }
  expect_failures = [var.deployment_config]
}

run "execution_timeout_below_600_rejected" {
  command = plan
  variables {
    deployment_config = { rolling = { maximum_execution_timeout_in_seconds = 300 } }
  }
  expect_failures = [var.deployment_config]
}

run "no_role_and_no_role_arn_rejected" {
  command = plan
  variables { create_role = false }
  expect_failures = [aws_sagemaker_model.this]
}

run "own_role_arn_used" {
  command = plan
  variables {
    create_role = false
    role_arn    = "arn:aws:iam::123456789012:role/whisper"
  }
  assert {
    condition     = aws_sagemaker_model.this[0].execution_role_arn == "arn:aws:iam::123456789012:role/whisper" && length(aws_iam_role.this) == 0
    error_message = "the given role is used and none created"
  }
}

run "two_artifact_sources_rejected" {
  command = plan
  variables { model_data_s3_prefix = "s3://artifacts/whisper/abc/model/" }
  expect_failures = [aws_sagemaker_model.this]
}
