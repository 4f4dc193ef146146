output "endpoint_name" {
  description = "Endpoint name: endpoint_name, or whisper-endpoint when empty."
  value       = local.endpoint_name

  precondition {
    condition     = var.auto_scaling_min_capacity <= var.auto_scaling_max_capacity
    error_message = "auto_scaling_min_capacity (${var.auto_scaling_min_capacity}) must not exceed auto_scaling_max_capacity (${var.auto_scaling_max_capacity})."
  }
}

output "shim_stack_name" {
  description = "A valid CloudFormation stack name for the shim (ENDPOINT-lca-shim, or lca-shim-ENDPOINT when the endpoint name starts with a digit)."
  value       = local.shim_stack_name
}

output "enable_auto_scaling" {
  description = "enable_auto_scaling as a bool."
  value       = var.enable_auto_scaling == "true"
}

output "parameters" {
  description = "The 11 LCA parameters, validated, by their snake_case names."
  value = {
    whisper_model_size                  = var.whisper_model_size
    sagemaker_instance_type             = var.sagemaker_instance_type
    sagemaker_instance_count            = var.sagemaker_instance_count
    s3_bucket_name                      = var.s3_bucket_name
    endpoint_name                       = var.endpoint_name
    enable_auto_scaling                 = var.enable_auto_scaling
    auto_scaling_min_capacity           = var.auto_scaling_min_capacity
    auto_scaling_max_capacity           = var.auto_scaling_max_capacity
    auto_scaling_target_gpu_utilization = var.auto_scaling_target_gpu_utilization
    auto_scaling_scale_out_cooldown     = var.auto_scaling_scale_out_cooldown
    auto_scaling_scale_in_cooldown      = var.auto_scaling_scale_in_cooldown
  }
}

output "shim_outputs" {
  description = "The shim stack's 9 outputs (LCA's names) and their values."
  value       = local.cfn_outputs
}

output "shim_template_body" {
  description = "CloudFormation template (YAML) that LCA's main stack can nest instead of lca-whisper-sagemaker-stack: it accepts LCA's 11 parameters and outputs WhisperSageMakerEndpointName and the other 8 for the Terraform-managed endpoint; its only resource is a free WaitConditionHandle."
  value       = local.template_body
}
