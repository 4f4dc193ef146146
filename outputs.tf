# LCA's 9 stack outputs in snake_case, then ARNs and the shim.

output "whisper_sagemaker_endpoint_name" {
  description = "WhisperSageMakerEndpointName: give it to LCA (its WhisperSageMakerEndpointName parameter)."
  value       = module.whisper.endpoint_name
}

output "whisper_model_size" {
  description = "WhisperModelSize."
  value       = module.lca.parameters.whisper_model_size
}

output "s3_bucket_name" {
  description = "S3BucketName: bucket holding the model artifact."
  value       = module.whisper.s3_bucket_name
}

output "auto_scaling_enabled" {
  description = "AutoScalingEnabled: \"true\" or \"false\"."
  value       = tostring(module.whisper.autoscaling_enabled)
}

output "auto_scaling_min_capacity" {
  description = "AutoScalingMinCapacity."
  value       = module.lca.parameters.auto_scaling_min_capacity
}

output "auto_scaling_max_capacity" {
  description = "AutoScalingMaxCapacity."
  value       = module.lca.parameters.auto_scaling_max_capacity
}

output "auto_scaling_target_gpu_utilization" {
  description = "AutoScalingTargetGpuUtilization (percent of one GPU)."
  value       = module.lca.parameters.auto_scaling_target_gpu_utilization
}

output "auto_scaling_scale_out_cooldown" {
  description = "AutoScalingScaleOutCooldown."
  value       = module.lca.parameters.auto_scaling_scale_out_cooldown
}

output "auto_scaling_scale_in_cooldown" {
  description = "AutoScalingScaleInCooldown."
  value       = module.lca.parameters.auto_scaling_scale_in_cooldown
}

output "endpoint_arn" {
  description = "Endpoint ARN."
  value       = module.whisper.endpoint_arn
}

output "model_arn" {
  description = "SageMaker model ARN."
  value       = module.whisper.model_arn
}

output "endpoint_configuration_arn" {
  description = "Endpoint configuration ARN."
  value       = module.whisper.endpoint_configuration_arn
}

output "role_arn" {
  description = "Execution role ARN."
  value       = module.whisper.role_arn
}

output "s3_bucket_arn" {
  description = "ARN of the created bucket (null when S3BucketName was given)."
  value       = module.whisper.s3_bucket_arn
}

output "lca_shim_template_body" {
  description = "CloudFormation template LCA can nest instead of lca-whisper-sagemaker-stack (examples/lca)."
  value       = module.lca.shim_template_body
}

output "lca_shim_stack_id" {
  description = "ID of the deployed shim stack (create_lca_shim_stack)."
  value       = try(aws_cloudformation_stack.lca_shim[0].id, null)
}
