# Asynchronous inference with scale-to-zero, at plan level with mocked providers
# (`tofu test` / `terraform test`): the endpoint configuration, the role's exact grants,
# the queue-based scaling and every validation of the two async inputs.

mock_provider "aws" {
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
  # Computed ARNs flow into arguments the provider validates: they must look like ARNs.
  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::123456789012:role/whisper-sagemaker-mock" }
  }
  mock_resource "aws_appautoscaling_policy" {
    defaults = { arn = "arn:aws:autoscaling:us-east-1:123456789012:scalingPolicy:00000000-0000-0000-0000-000000000000:resource/sagemaker/endpoint/whisper/variant/AllTraffic:policyName/mock" }
  }
}

variables {
  model_data_url = "s3://artifacts/whisper/abc/model.tar.gz"
  async_inference = {
    s3_input_path                           = "s3://calls/incoming"
    s3_output_path                          = "s3://transcripts/results/"
    s3_failure_path                         = "s3://transcripts/failures"
    kms_key_arn                             = "arn:aws:kms:us-east-1:123456789012:key/22222222-2222-2222-2222-222222222222"
    success_topic_arn                       = "arn:aws:sns:us-east-1:123456789012:whisper-success"
    error_topic_arn                         = "arn:aws:sns:us-east-1:123456789012:whisper-error"
    max_concurrent_invocations_per_instance = 2
    include_inference_response_in           = ["SUCCESS_NOTIFICATION_TOPIC"]
  }
}

run "async_inference_config_is_rendered" {
  command = plan
  assert {
    condition     = aws_sagemaker_endpoint_configuration.this[0].async_inference_config[0].client_config[0].max_concurrent_invocations_per_instance == 2
    error_message = "max_concurrent_invocations_per_instance reaches the client config"
  }
  assert {
    condition = (aws_sagemaker_endpoint_configuration.this[0].async_inference_config[0].output_config[0].s3_output_path == "s3://transcripts/results/" &&
      aws_sagemaker_endpoint_configuration.this[0].async_inference_config[0].output_config[0].s3_failure_path == "s3://transcripts/failures" &&
    aws_sagemaker_endpoint_configuration.this[0].async_inference_config[0].output_config[0].kms_key_id == "arn:aws:kms:us-east-1:123456789012:key/22222222-2222-2222-2222-222222222222")
    error_message = "output path, failure path and key reach the output config"
  }
  assert {
    condition = (aws_sagemaker_endpoint_configuration.this[0].async_inference_config[0].output_config[0].notification_config[0].success_topic == "arn:aws:sns:us-east-1:123456789012:whisper-success" &&
    aws_sagemaker_endpoint_configuration.this[0].async_inference_config[0].output_config[0].notification_config[0].error_topic == "arn:aws:sns:us-east-1:123456789012:whisper-error")
    error_message = "both topics reach the notification config"
  }
  assert {
    condition     = aws_sagemaker_endpoint_configuration.this[0].async_inference_config[0].output_config[0].notification_config[0].include_inference_response_in == toset(["SUCCESS_NOTIFICATION_TOPIC"])
    error_message = "the success notification carries the transcript"
  }
  assert {
    condition     = output.async_inference.s3_failure_path == "s3://transcripts/failures" && output.async_inference.s3_input_path == "s3://calls/incoming"
    error_message = "the paths are outputs"
  }
}

run "role_reads_requests_writes_results_and_publishes_exactly_there" {
  command = plan
  assert {
    condition     = one([for s in data.aws_iam_policy_document.this[0].statement : s.resources if s.sid == "ReadAsyncRequests"]) == toset(["arn:aws:s3:::calls/incoming/*"])
    error_message = "GetObject on the objects under the input prefix (a folder: incoming/, not incoming*)"
  }
  assert {
    condition     = one([for s in data.aws_iam_policy_document.this[0].statement : s.actions if s.sid == "ReadAsyncRequests"]) == toset(["s3:GetObject"])
    error_message = "the input is only read"
  }
  assert {
    condition = one([for s in data.aws_iam_policy_document.this[0].statement : s.resources if s.sid == "WriteAsyncResults"]) == toset([
      "arn:aws:s3:::transcripts/results/*", "arn:aws:s3:::transcripts/failures/*",
    ])
    error_message = "PutObject on exactly the output and failure prefixes"
  }
  assert {
    condition     = one([for s in data.aws_iam_policy_document.this[0].statement : s.actions if s.sid == "WriteAsyncResults"]) == toset(["s3:PutObject", "s3:AbortMultipartUpload"])
    error_message = "results are written (in parts), never read"
  }
  assert {
    condition = one([for s in data.aws_iam_policy_document.this[0].statement : s.resources if s.sid == "PublishAsyncNotifications"]) == toset([
      "arn:aws:sns:us-east-1:123456789012:whisper-success", "arn:aws:sns:us-east-1:123456789012:whisper-error",
    ])
    error_message = "sns:Publish on exactly the two topics"
  }
  assert {
    condition     = one([for s in data.aws_iam_policy_document.this[0].statement : s.resources if s.sid == "EncryptAsyncResults"]) == toset(["arn:aws:kms:us-east-1:123456789012:key/22222222-2222-2222-2222-222222222222"])
    error_message = "the output key, and only it"
  }
}

run "bucket_root_paths_and_one_topic" {
  command = plan
  variables {
    async_inference = {
      s3_output_path    = "s3://transcripts"
      success_topic_arn = "arn:aws:sns:us-east-1:123456789012:whisper-success"
    }
  }
  assert {
    condition     = one([for s in data.aws_iam_policy_document.this[0].statement : s.resources if s.sid == "WriteAsyncResults"]) == toset(["arn:aws:s3:::transcripts/*"])
    error_message = "a bucket-root output path grants the bucket's objects"
  }
  assert {
    condition = (length([for s in data.aws_iam_policy_document.this[0].statement : s if contains(["ReadAsyncRequests", "EncryptAsyncResults"], s.sid)]) == 0 &&
    one([for s in data.aws_iam_policy_document.this[0].statement : s.resources if s.sid == "PublishAsyncNotifications"]) == toset(["arn:aws:sns:us-east-1:123456789012:whisper-success"]))
    error_message = "no input prefix, no key: no grant for them; one topic: one topic granted"
  }
  assert {
    condition = (length(aws_sagemaker_endpoint_configuration.this[0].async_inference_config[0].client_config) == 0 &&
    aws_sagemaker_endpoint_configuration.this[0].async_inference_config[0].output_config[0].notification_config[0].error_topic == null)
    error_message = "unset options stay unset (SageMaker picks the concurrency)"
  }
}

run "queue_scaling_replaces_gpu_scaling_and_reaches_zero" {
  command = plan
  assert {
    condition     = aws_appautoscaling_target.this[0].min_capacity == 0 && aws_appautoscaling_target.this[0].max_capacity == 3
    error_message = "an asynchronous endpoint scales between 0 and 3 instances by default"
  }
  assert {
    condition     = length(aws_appautoscaling_policy.gpu_utilization) + length(aws_appautoscaling_policy.invocations) == 0
    error_message = "no GPU or invocations policy on an asynchronous endpoint"
  }
  assert {
    condition = (aws_appautoscaling_policy.backlog[0].policy_type == "TargetTrackingScaling" &&
      aws_appautoscaling_policy.backlog[0].target_tracking_scaling_policy_configuration[0].target_value == 5 &&
      aws_appautoscaling_policy.backlog[0].target_tracking_scaling_policy_configuration[0].scale_in_cooldown == 600 &&
    aws_appautoscaling_policy.backlog[0].target_tracking_scaling_policy_configuration[0].scale_out_cooldown == 300)
    error_message = "target tracking of 5 queued requests per instance, cooldowns 600 in / 300 out"
  }
  assert {
    condition = (aws_appautoscaling_policy.backlog[0].target_tracking_scaling_policy_configuration[0].customized_metric_specification[0].metric_name == "ApproximateBacklogSizePerInstance" &&
      aws_appautoscaling_policy.backlog[0].target_tracking_scaling_policy_configuration[0].customized_metric_specification[0].namespace == "AWS/SageMaker" &&
      aws_appautoscaling_policy.backlog[0].target_tracking_scaling_policy_configuration[0].customized_metric_specification[0].statistic == "Average" &&
    [for d in aws_appautoscaling_policy.backlog[0].target_tracking_scaling_policy_configuration[0].customized_metric_specification[0].dimensions : "${d.name}=${d.value}"] == ["EndpointName=whisper"])
    error_message = "the tracked metric is AWS/SageMaker ApproximateBacklogSizePerInstance (Average) of this endpoint"
  }
  assert {
    condition = (aws_appautoscaling_policy.scale_from_zero[0].policy_type == "StepScaling" &&
      aws_appautoscaling_policy.scale_from_zero[0].step_scaling_policy_configuration[0].adjustment_type == "ChangeInCapacity" &&
      aws_appautoscaling_policy.scale_from_zero[0].step_scaling_policy_configuration[0].cooldown == 300 &&
    [for s in aws_appautoscaling_policy.scale_from_zero[0].step_scaling_policy_configuration[0].step_adjustment : [s.metric_interval_lower_bound, s.scaling_adjustment]] == [["0", 1]])
    error_message = "one step: +1 instance when the alarm fires"
  }
  assert {
    condition = (aws_cloudwatch_metric_alarm.backlog_without_capacity[0].metric_name == "HasBacklogWithoutCapacity" &&
      aws_cloudwatch_metric_alarm.backlog_without_capacity[0].namespace == "AWS/SageMaker" &&
      aws_cloudwatch_metric_alarm.backlog_without_capacity[0].threshold == 1 &&
      aws_cloudwatch_metric_alarm.backlog_without_capacity[0].comparison_operator == "GreaterThanOrEqualToThreshold" &&
      aws_cloudwatch_metric_alarm.backlog_without_capacity[0].dimensions == tomap({ EndpointName = "whisper" }) &&
    length(aws_cloudwatch_metric_alarm.backlog_without_capacity[0].alarm_actions) == 1)
    error_message = "the alarm watches HasBacklogWithoutCapacity >= 1 of this endpoint and triggers the step policy"
  }
}

run "scaling_bounds_and_cooldowns_are_inputs" {
  command = plan
  variables {
    async_autoscaling = {
      min_capacity                = 1
      max_capacity                = 8
      target_backlog_per_instance = 2
      scale_from_zero_cooldown    = 120
    }
  }
  assert {
    condition = (aws_appautoscaling_target.this[0].min_capacity == 1 && aws_appautoscaling_target.this[0].max_capacity == 8 &&
      aws_appautoscaling_policy.backlog[0].target_tracking_scaling_policy_configuration[0].target_value == 2 &&
    aws_appautoscaling_policy.scale_from_zero[0].step_scaling_policy_configuration[0].cooldown == 120)
    error_message = "bounds, target and cooldown come from async_autoscaling"
  }
}

run "handler_limits_are_raised_and_environment_still_wins" {
  command = plan
  variables {
    environment = { WHISPER_MAX_AUDIO_S = "7200" }
  }
  assert {
    condition = (aws_sagemaker_model.this[0].primary_container[0].environment["WHISPER_MAX_AUDIO_S"] == "7200" &&
      aws_sagemaker_model.this[0].primary_container[0].environment["WHISPER_DECODE_BUDGET_S"] == "3600" &&
      aws_sagemaker_model.this[0].primary_container[0].environment["SAGEMAKER_MODEL_SERVER_TIMEOUT"] == "3600" &&
      aws_sagemaker_model.this[0].primary_container[0].environment["SAGEMAKER_MAX_PAYLOAD_IN_MB"] == "512" &&
    aws_sagemaker_model.this[0].primary_container[0].environment["WHISPER_MAX_PAYLOAD_BYTES"] == "536870912")
    error_message = "an hour of processing and 512 MB per request; environment overrides the module's 4 h of audio"
  }
}

run "asynchronous_endpoint_has_no_latency_alarm" {
  command = plan
  variables { create_alarms = true }
  assert {
    condition     = keys(aws_cloudwatch_metric_alarm.this) == ["gpu-memory", "invocation-4xx", "invocation-5xx"]
    error_message = "every alarm but model latency (minutes per recording is normal here)"
  }
}

run "asynchronous_without_autoscaling_has_no_scaling_resources" {
  command = plan
  variables { enable_autoscaling = false }
  assert {
    condition = (length(aws_appautoscaling_target.this) + length(aws_appautoscaling_policy.backlog) +
    length(aws_appautoscaling_policy.scale_from_zero) + length(aws_cloudwatch_metric_alarm.backlog_without_capacity)) == 0
    error_message = "no target, policies or backlog alarm"
  }
  assert {
    condition     = length(aws_sagemaker_endpoint_configuration.this[0].async_inference_config) == 1
    error_message = "still asynchronous"
  }
}

run "disabled_asynchronous_module_plans_nothing" {
  command = plan
  variables { create = false }
  assert {
    condition = (length(aws_sagemaker_endpoint_configuration.this) + length(aws_iam_role.this) + length(aws_appautoscaling_target.this) +
    length(aws_appautoscaling_policy.scale_from_zero) + length(aws_cloudwatch_metric_alarm.backlog_without_capacity)) == 0
    error_message = "create = false must plan zero resources"
  }
  assert {
    condition     = output.async_inference == null && output.backlog_alarm_arn == null
    error_message = "outputs of nothing are null"
  }
}

run "real_time_endpoint_is_unchanged" {
  command = plan
  variables { async_inference = null }
  assert {
    condition = (length(aws_sagemaker_endpoint_configuration.this[0].async_inference_config) == 0 &&
      aws_appautoscaling_target.this[0].min_capacity == 1 && length(aws_appautoscaling_policy.gpu_utilization) == 1 &&
    length(aws_appautoscaling_policy.backlog) + length(aws_cloudwatch_metric_alarm.backlog_without_capacity) == 0)
    error_message = "real-time: no async config, GPU scaling from 1"
  }
  assert {
    condition = (aws_sagemaker_model.this[0].primary_container[0].environment["SAGEMAKER_MODEL_SERVER_TIMEOUT"] == "60" &&
    !contains(keys(aws_sagemaker_model.this[0].primary_container[0].environment), "WHISPER_MAX_AUDIO_S"))
    error_message = "real-time keeps the handler's own limits"
  }
  assert {
    condition     = length([for s in data.aws_iam_policy_document.this[0].statement : s if strcontains(coalesce(s.sid, ""), "Async")]) == 0
    error_message = "no async grants on a real-time role"
  }
}

################################################################################
# Every rejection
################################################################################

run "output_path_must_be_an_s3_uri" {
  command = plan
  variables {
    async_inference = { s3_output_path = "https://transcripts.s3.amazonaws.com/results" }
  }
  expect_failures = [var.async_inference]
}

run "failure_path_must_be_an_s3_uri" {
  command = plan
  variables {
    async_inference = { s3_output_path = "s3://transcripts/results", s3_failure_path = "transcripts/failures" }
  }
  expect_failures = [var.async_inference]
}

run "input_path_must_be_an_s3_uri" {
  command = plan
  variables {
    async_inference = { s3_output_path = "s3://transcripts/results", s3_input_path = "s3://" }
  }
  expect_failures = [var.async_inference]
}

run "topic_must_be_an_sns_arn" {
  command = plan
  variables {
    async_inference = { s3_output_path = "s3://transcripts/results", success_topic_arn = "whisper-success" }
  }
  expect_failures = [var.async_inference]
}

run "error_topic_must_be_an_sns_arn" {
  command = plan
  variables {
    async_inference = { s3_output_path = "s3://transcripts/results", error_topic_arn = "arn:aws:sqs:us-east-1:123456789012:whisper-error" }
  }
  expect_failures = [var.async_inference]
}

run "output_key_must_be_a_kms_key_arn" {
  command = plan
  variables {
    async_inference = { s3_output_path = "s3://transcripts/results", kms_key_arn = "alias/transcripts" }
  }
  expect_failures = [var.async_inference]
}

run "concurrency_of_0_rejected" {
  command = plan
  variables {
    async_inference = { s3_output_path = "s3://transcripts/results", max_concurrent_invocations_per_instance = 0 }
  }
  expect_failures = [var.async_inference]
}

run "concurrency_above_1000_rejected" {
  command = plan
  variables {
    async_inference = { s3_output_path = "s3://transcripts/results", max_concurrent_invocations_per_instance = 1001 }
  }
  expect_failures = [var.async_inference]
}

run "fractional_concurrency_rejected" {
  command = plan
  variables {
    async_inference = { s3_output_path = "s3://transcripts/results", max_concurrent_invocations_per_instance = 1.5 }
  }
  expect_failures = [var.async_inference]
}

run "unknown_notification_target_rejected" {
  command = plan
  variables {
    async_inference = { s3_output_path = "s3://transcripts/results", include_inference_response_in = ["S3"] }
  }
  expect_failures = [var.async_inference]
}

run "response_in_a_topic_that_is_not_set_rejected" {
  command = plan
  variables {
    async_inference = {
      s3_output_path                = "s3://transcripts/results"
      success_topic_arn             = "arn:aws:sns:us-east-1:123456789012:whisper-success"
      include_inference_response_in = ["ERROR_NOTIFICATION_TOPIC"]
    }
  }
  expect_failures = [var.async_inference]
}

run "negative_min_capacity_rejected" {
  command = plan
  variables { async_autoscaling = { min_capacity = -1 } }
  expect_failures = [var.async_autoscaling]
}

run "async_min_above_max_rejected" {
  command = plan
  variables { async_autoscaling = { min_capacity = 3, max_capacity = 2 } }
  expect_failures = [var.async_autoscaling]
}

run "max_capacity_of_0_rejected" {
  command = plan
  variables { async_autoscaling = { max_capacity = 0 } }
  expect_failures = [var.async_autoscaling]
}

run "backlog_target_of_0_rejected" {
  command = plan
  variables { async_autoscaling = { target_backlog_per_instance = 0 } }
  expect_failures = [var.async_autoscaling]
}

run "async_cooldown_above_an_hour_rejected" {
  command = plan
  variables { async_autoscaling = { scale_from_zero_cooldown = 3601 } }
  expect_failures = [var.async_autoscaling]
}
