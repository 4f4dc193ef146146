output "endpoint_name" {
  description = "Endpoint name."
  value       = module.whisper.endpoint_name
}

output "endpoint_arn" {
  description = "Endpoint ARN."
  value       = module.whisper.endpoint_arn
}

output "role_arn" {
  description = "Least-privilege execution role."
  value       = module.whisper.role_arn
}

output "autoscaling_policy_arns" {
  description = "Scaling policies."
  value       = module.whisper.autoscaling_policy_arns
}

output "alarm_arns" {
  description = "Alarms."
  value       = module.whisper.alarm_arns
}

output "disabled_endpoint_name" {
  description = "Null: the disabled module creates nothing."
  value       = module.disabled.endpoint_name
}
