# `terraform apply` with LCA's parameters: the same endpoint LCA's nested CloudFormation
# stack deployed, managed by modules/whisper_sagemaker, plus the shim LCA can nest.

provider "aws" {
  region = var.aws_region
}

module "lca" {
  source = "./modules/whisper_sagemaker/modules/lca"

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

  deployed = {
    endpoint_name  = module.whisper.endpoint_name
    s3_bucket_name = module.whisper.s3_bucket_name
  }
}

module "whisper" {
  source = "./modules/whisper_sagemaker"

  # Validated LCA values (module.lca.parameters), so a bad value fails in one place.
  name           = module.lca.endpoint_name
  model_size     = module.lca.parameters.whisper_model_size
  instance_type  = module.lca.parameters.sagemaker_instance_type
  instance_count = module.lca.parameters.sagemaker_instance_count
  model_data_url = var.model_data_url
  bucket_name    = var.s3_bucket_name == "" ? null : var.s3_bucket_name
  create_bucket  = var.s3_bucket_name == ""

  enable_autoscaling = module.lca.enable_auto_scaling
  autoscaling = {
    min_capacity           = module.lca.parameters.auto_scaling_min_capacity
    max_capacity           = module.lca.parameters.auto_scaling_max_capacity
    target_gpu_utilization = module.lca.parameters.auto_scaling_target_gpu_utilization
    scale_out_cooldown     = module.lca.parameters.auto_scaling_scale_out_cooldown
    scale_in_cooldown      = module.lca.parameters.auto_scaling_scale_in_cooldown
  }

  tags = var.tags
}

resource "aws_cloudformation_stack" "lca_shim" {
  count = var.create_lca_shim_stack ? 1 : 0

  name          = module.lca.shim_stack_name
  template_body = module.lca.shim_template_body
  tags          = var.tags
}
