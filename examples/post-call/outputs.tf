output "endpoint_name" {
  description = "Asynchronous endpoint name (aws sagemaker-runtime invoke-endpoint-async --endpoint-name ...)."
  value       = module.whisper.endpoint_name
}

output "bucket_name" {
  description = "Bucket for recordings (incoming/), transcripts (transcripts/) and failures (failures/)."
  value       = aws_s3_bucket.calls.id
}

output "async_inference" {
  description = "Input, output and failure paths and the notification topics."
  value       = module.whisper.async_inference
}

output "success_topic_arn" {
  description = "SNS topic told about each finished transcript (subscribe to it)."
  value       = aws_sns_topic.success.arn
}

output "error_topic_arn" {
  description = "SNS topic told about each failed recording."
  value       = aws_sns_topic.error.arn
}

output "autoscaling_policy_arns" {
  description = "Queue scaling policies (backlog, scale_from_zero)."
  value       = module.whisper.autoscaling_policy_arns
}

output "backlog_alarm_arn" {
  description = "Alarm that starts the first instance when a recording waits with none running."
  value       = module.whisper.backlog_alarm_arn
}

output "role_arn" {
  description = "Execution role: reads incoming/, writes transcripts/ and failures/, publishes to the two topics."
  value       = module.whisper.role_arn
}
