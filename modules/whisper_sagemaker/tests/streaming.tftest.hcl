# Bidirectional streaming, with mocked providers (`tofu test` / `terraform test`): the model runs
# the serving image without the DLC toolkit's settings, callers get the IAM policy for this
# endpoint alone and the invocation facts, scaling still tracks the GPU, and contradictory
# settings are refused.

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
  # Computed ARNs flow into arguments the provider validates, and into the caller's policy.
  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::123456789012:role/whisper-sagemaker-mock" }
  }
  mock_resource "aws_sagemaker_endpoint" {
    defaults = { arn = "arn:aws:sagemaker:us-east-1:123456789012:endpoint/whisper-live" }
  }
  mock_resource "aws_appautoscaling_policy" {
    defaults = { arn = "arn:aws:autoscaling:us-east-1:123456789012:scalingPolicy:00000000-0000-0000-0000-000000000000:resource/sagemaker/endpoint/whisper-live/variant/AllTraffic:policyName/mock" }
  }
}

variables {
  name           = "whisper-live"
  model_data_url = "s3://artifacts/whisper/abc/model.tar.gz"
  streaming      = true
  image_uri      = "123456789012.dkr.ecr.us-east-1.amazonaws.com/whisper-serving@sha256:0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8"
}

run "the_model_runs_the_serving_image_without_the_toolkit" {
  command = plan
  assert {
    condition     = aws_sagemaker_model.this[0].primary_container[0].image == var.image_uri
    error_message = "the serving image runs the model"
  }
  assert {
    condition = (length([for k in keys(aws_sagemaker_model.this[0].primary_container[0].environment) : k if startswith(k, "SAGEMAKER_") && k != "SAGEMAKER_REGION"]) == 0 &&
    aws_sagemaker_model.this[0].primary_container[0].environment["WHISPER_DEVICE"] == "cuda")
    error_message = "no DLC toolkit settings (the entrypoint runs the server); the handler's settings stay"
  }
  assert {
    condition     = aws_sagemaker_model.this[0].enable_network_isolation
    error_message = "the image installs the artifact's own wheels: network isolation stays on"
  }
  assert {
    condition     = one([for s in data.aws_iam_policy_document.this[0].statement : s.resources if contains(s.actions, "ecr:BatchGetImage")]) == toset(["arn:aws:ecr:us-east-1:123456789012:repository/whisper-serving"])
    error_message = "the role pulls from the serving image's repository (a digest reference) and no other"
  }
}

run "request_response_and_gpu_scaling_are_kept" {
  command = plan
  assert {
    condition = (length(aws_sagemaker_endpoint_configuration.this[0].async_inference_config) == 0 &&
    aws_sagemaker_endpoint_configuration.this[0].production_variants[0].variant_name == "AllTraffic")
    error_message = "a real-time endpoint: the same variant serves InvokeEndpoint and the streams"
  }
  assert {
    condition = (length(aws_appautoscaling_policy.gpu_utilization) == 1 && length(aws_appautoscaling_policy.backlog) == 0 &&
      contains([for m in aws_appautoscaling_policy.gpu_utilization[0].target_tracking_scaling_policy_configuration[0].customized_metric_specification[0].metrics :
    try(m.metric_stat[0].metric[0].metric_name, null)], "GPUUtilization"))
    error_message = "scaling still tracks GPU utilisation"
  }
}

run "callers_get_the_stream_action_on_this_endpoint_only" {
  command = apply
  assert {
    condition = jsondecode(output.streaming_invoke_policy_json) == {
      Version = "2012-10-17"
      Statement = [{
        Sid      = "StreamToWhisperEndpoint"
        Effect   = "Allow"
        Action   = "sagemaker:InvokeEndpointWithBidirectionalStream"
        Resource = "arn:aws:sagemaker:us-east-1:123456789012:endpoint/whisper-live"
      }]
    }
    error_message = "one statement: the streaming action on this endpoint's ARN, nothing else"
  }
  assert {
    condition = (output.streaming_invocation.url == "https://runtime.sagemaker.us-east-1.amazonaws.com:8443/endpoints/whisper-live/invocations-bidirectional-stream" &&
      output.streaming_invocation.signing_name == "sagemaker" && output.streaming_invocation.endpoint_name == "whisper-live" &&
    contains(output.streaming_invocation.model_invocation_paths, "invocations-bidirectional-stream"))
    error_message = "the runtime's HTTP/2 URL, SigV4 name and the container path are outputs"
  }
}

run "request_response_endpoint_is_unchanged" {
  command = plan
  variables {
    streaming = false
    image_uri = null
  }
  assert {
    condition = aws_sagemaker_model.this[0].primary_container[0].environment == tomap({
      SAGEMAKER_PROGRAM              = "inference.py"
      SAGEMAKER_SUBMIT_DIRECTORY     = "/opt/ml/model/code"
      SAGEMAKER_CONTAINER_LOG_LEVEL  = "20"
      SAGEMAKER_REGION               = "us-east-1"
      SAGEMAKER_MODEL_SERVER_WORKERS = "1"
      SAGEMAKER_MODEL_SERVER_TIMEOUT = "60"
      HF_HUB_OFFLINE                 = "1"
      WHISPER_DEVICE                 = "cuda"
      WHISPER_COMPUTE_TYPE           = "float16"
    })
    error_message = "without streaming the DLC toolkit's environment is exactly as before"
  }
  assert {
    condition     = output.streaming_invocation == null && output.streaming_invoke_policy_json == null
    error_message = "no streaming outputs without streaming"
  }
}

run "disabled_streaming_module_plans_nothing" {
  command = plan
  variables { create = false }
  assert {
    condition = (length(aws_sagemaker_model.this) + length(aws_sagemaker_endpoint.this) + length(aws_iam_role.this) == 0 &&
    output.streaming_invocation == null && output.streaming_invoke_policy_json == null)
    error_message = "create = false plans nothing and outputs no streaming facts"
  }
}

run "streaming_with_async_rejected" {
  command = plan
  variables {
    async_inference = { s3_output_path = "s3://transcripts/results" }
  }
  expect_failures = [aws_sagemaker_model.this]
}

run "streaming_without_an_image_rejected" {
  command = plan
  variables { image_uri = null }
  expect_failures = [aws_sagemaker_model.this]
}

run "streaming_with_the_deep_learning_container_itself_rejected" {
  command = plan
  variables {
    image_uri = "763104351884.dkr.ecr.us-east-1.amazonaws.com/huggingface-pytorch-inference:2.6.0-transformers4.49.0-gpu-py312-cu124-ubuntu22.04"
  }
  expect_failures = [aws_sagemaker_model.this]
}
