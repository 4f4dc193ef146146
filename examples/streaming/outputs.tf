output "endpoint_name" {
  description = "Endpoint name: EndpointName for InvokeEndpointWithBidirectionalStream and for InvokeEndpoint."
  value       = module.whisper.endpoint_name
}

output "endpoint_arn" {
  description = "Endpoint ARN."
  value       = module.whisper.endpoint_arn
}

output "streaming_invocation" {
  description = "Operation, IAM action, signing name, runtime URL, container paths and a query string for callers."
  value       = module.whisper.streaming_invocation
}

output "stream_policy_arn" {
  description = "IAM policy to attach to the roles of applications that stream to the endpoint."
  value       = aws_iam_policy.stream.arn
}

output "image_uri" {
  description = "The serving image the endpoint runs."
  value       = module.whisper.image_uri
}

output "autoscaling_policy_arns" {
  description = "Scaling policies (gpu_utilization)."
  value       = module.whisper.autoscaling_policy_arns
}
