# Whisper for Amazon Transcribe Live Call Analytics. Two ways to connect LCA:
#
#  A. No nested stack (simplest): deploy this, then deploy/update LCA with
#     TranscribeApiMode=whisper-on-sagemaker and its WhisperSageMakerEndpointName
#     parameter set to the `whisper_sagemaker_endpoint_name` output. LCA then skips
#     its own Whisper stack and grants InvokeEndpoint on exactly that endpoint.
#
#  B. Shim stack: LCA's main template nests lca-whisper-sagemaker-stack. Replace that
#     template with `lca_shim_template_body` (upload it where LCA's template points).
#     The shim accepts LCA's 11 parameters unchanged and outputs
#     WhisperSageMakerEndpointName (and the other 8) for this Terraform-managed endpoint,
#     creating nothing costly. create_lca_shim_stack = true also deploys it standalone
#     here, to check it or to import its outputs elsewhere.
#
# LCA names the endpoint whisper-endpoint-<LCA stack name>; use the same lower-case
# name so LCA's IAM grant (case-sensitive ARN match) covers it.

provider "aws" {
  region = var.region
}

module "lca" {
  source = "../../modules/whisper_sagemaker/modules/lca"

  endpoint_name                       = "whisper-endpoint-${var.lca_stack_name}"
  whisper_model_size                  = var.whisper_model_size
  sagemaker_instance_type             = var.sagemaker_instance_type
  enable_auto_scaling                 = "true"
  auto_scaling_min_capacity           = 1
  auto_scaling_max_capacity           = 3
  auto_scaling_target_gpu_utilization = 50

  deployed = {
    endpoint_name  = module.whisper.endpoint_name
    s3_bucket_name = module.whisper.s3_bucket_name
  }
}

module "whisper" {
  source = "../../modules/whisper_sagemaker"

  name           = module.lca.endpoint_name
  model_size     = module.lca.parameters.whisper_model_size
  instance_type  = module.lca.parameters.sagemaker_instance_type
  instance_count = module.lca.parameters.sagemaker_instance_count
  model_data_url = var.model_data_url

  autoscaling = {
    min_capacity           = module.lca.parameters.auto_scaling_min_capacity
    max_capacity           = module.lca.parameters.auto_scaling_max_capacity
    target_gpu_utilization = module.lca.parameters.auto_scaling_target_gpu_utilization
    scale_out_cooldown     = module.lca.parameters.auto_scaling_scale_out_cooldown
    scale_in_cooldown      = module.lca.parameters.auto_scaling_scale_in_cooldown
  }
}

resource "aws_cloudformation_stack" "lca_shim" {
  count = var.create_lca_shim_stack ? 1 : 0

  name          = module.lca.shim_stack_name
  template_body = module.lca.shim_template_body
}
