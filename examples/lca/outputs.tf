output "whisper_sagemaker_endpoint_name" {
  description = "Path A: LCA's WhisperSageMakerEndpointName parameter."
  value       = module.whisper.endpoint_name
}

output "lca_shim_template_body" {
  description = "Path B: the template to nest in place of lca-whisper-sagemaker-stack."
  value       = module.lca.shim_template_body
}

output "lca_shim_outputs" {
  description = "The shim's 9 outputs and their values."
  value       = module.lca.shim_outputs
}
