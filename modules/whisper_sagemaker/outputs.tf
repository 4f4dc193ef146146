output "endpoint_name" {
  description = "SageMaker endpoint name (what LCA's WhisperSageMakerEndpointName needs)."
  value       = try(aws_sagemaker_endpoint.this[0].name, null)
}

output "endpoint_arn" {
  description = "SageMaker endpoint ARN (grant sagemaker:InvokeEndpoint on it)."
  value       = try(aws_sagemaker_endpoint.this[0].arn, null)
}

output "endpoint_configuration_name" {
  description = "Current endpoint configuration name (name_prefix + random suffix)."
  value       = try(aws_sagemaker_endpoint_configuration.this[0].name, null)
}

output "endpoint_configuration_arn" {
  description = "Current endpoint configuration ARN."
  value       = try(aws_sagemaker_endpoint_configuration.this[0].arn, null)
}

output "model_name" {
  description = "SageMaker model name."
  value       = try(aws_sagemaker_model.this[0].name, null)
}

output "model_arn" {
  description = "SageMaker model ARN."
  value       = try(aws_sagemaker_model.this[0].arn, null)
}

output "variant_name" {
  description = "Production variant name (AllTraffic, as LCA's stack used)."
  value       = local.create ? local.variant_name : null
}

output "image_uri" {
  description = "Serving container image."
  value       = local.create ? local.image_uri : null
}

output "model_data_uri" {
  description = "S3 URI of the model artifact (tar.gz object or uncompressed prefix)."
  value       = local.create ? local.artifact_uri : null
}

output "artifact_content_key" {
  description = "Builder content key of the artifact the module built (null when given an artifact)."
  value       = try(local.build_plan.content_key, null)
}

output "role_arn" {
  description = "Execution role ARN (created or given)."
  value       = local.create ? local.role_arn : null
}

output "role_name" {
  description = "Name of the created execution role."
  value       = try(aws_iam_role.this[0].name, null)
}

output "s3_bucket_name" {
  description = "Bucket holding the artifact (created, given, or the artifact URI's bucket)."
  value       = local.create ? local.artifact_bucket : null
}

output "s3_bucket_arn" {
  description = "ARN of the created artifact bucket."
  value       = try(aws_s3_bucket.this[0].arn, null)
}

output "autoscaling_enabled" {
  description = "Whether Application Auto Scaling manages the variant."
  value       = local.create_autoscaling
}

output "autoscaling_target_resource_id" {
  description = "Application Auto Scaling resource id (endpoint/NAME/variant/AllTraffic)."
  value       = try(aws_appautoscaling_target.this[0].resource_id, null)
}

output "autoscaling_policy_arns" {
  description = "ARNs of the scaling policies, by name (gpu_utilization, invocations; backlog, scale_from_zero for an asynchronous endpoint)."
  value = {
    for k, v in {
      gpu_utilization = try(aws_appautoscaling_policy.gpu_utilization[0].arn, null)
      invocations     = try(aws_appautoscaling_policy.invocations[0].arn, null)
      backlog         = try(aws_appautoscaling_policy.backlog[0].arn, null)
      scale_from_zero = try(aws_appautoscaling_policy.scale_from_zero[0].arn, null)
    } : k => v if v != null
  }
}

output "gpu_count_per_instance" {
  description = "GPUs per instance used to normalise GPUUtilization."
  value       = local.create ? local.gpu_count : null
}

output "alarm_arns" {
  description = "CloudWatch alarm ARNs by alarm key."
  value       = { for k, a in aws_cloudwatch_metric_alarm.this : k => a.arn }
}

output "async_inference" {
  description = "Where an asynchronous endpoint's requests are read from and its results and failures written to, and the topics notified (null for a real-time endpoint)."
  value = local.create && local.asynchronous ? {
    s3_input_path     = var.async_inference.s3_input_path
    s3_output_path    = var.async_inference.s3_output_path
    s3_failure_path   = coalesce(var.async_inference.s3_failure_path, var.async_inference.s3_output_path)
    success_topic_arn = var.async_inference.success_topic_arn
    error_topic_arn   = var.async_inference.error_topic_arn
  } : null
}

output "backlog_alarm_arn" {
  description = "ARN of the HasBacklogWithoutCapacity alarm that starts an asynchronous endpoint's first instance (null otherwise)."
  value       = try(aws_cloudwatch_metric_alarm.backlog_without_capacity[0].arn, null)
}

output "streaming_invocation" {
  description = "How a caller streams to the endpoint (null unless streaming): operation, IAM action and SigV4 signing name, the runtime URL (HTTP/2, port 8443), the ModelInvocationPath values the container answers, a ModelQueryString for 16 kHz linear16 audio, and the protocol spoken."
  value       = local.streaming_invocation
}

output "streaming_invoke_policy_json" {
  description = "IAM policy (JSON) a caller needs to stream to this endpoint: sagemaker:InvokeEndpointWithBidirectionalStream on its ARN only (null unless streaming). Request/response callers keep their sagemaker:InvokeEndpoint grant."
  value = local.streaming ? jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "StreamToWhisperEndpoint"
      Effect   = "Allow"
      Action   = local.streaming_action
      Resource = aws_sagemaker_endpoint.this[0].arn
    }]
  }) : null
}
