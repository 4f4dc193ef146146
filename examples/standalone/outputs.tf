output "endpoint_name" {
  description = "Endpoint name to invoke (or to give LCA)."
  value       = module.whisper.endpoint_name
}

output "endpoint_arn" {
  description = "Endpoint ARN."
  value       = module.whisper.endpoint_arn
}

output "model_data_uri" {
  description = "Artifact the endpoint serves."
  value       = module.whisper.model_data_uri
}
