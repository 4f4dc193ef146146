# The 11 parameters of LCA's nested Whisper stack, in snake_case, with its defaults.
# Their allowed values are enforced by modules/whisper_sagemaker/modules/lca.

variable "whisper_model_size" {
  description = "WhisperModelSize: tiny, tiny.en, base, base.en, small, small.en, medium, medium.en, large, large-v1, large-v2, large-v3."
  type        = string
  default     = "large-v2"
}

variable "sagemaker_instance_type" {
  description = "SageMakerInstanceType: ml.g4dn.xlarge, ml.g4dn.2xlarge, ml.g4dn.4xlarge, ml.g5.xlarge, ml.g5.2xlarge, ml.g5.4xlarge."
  type        = string
  default     = "ml.g5.2xlarge"
}

variable "sagemaker_instance_count" {
  description = "SageMakerInstanceCount: initial instances, 1-3."
  type        = number
  default     = 1
}

variable "s3_bucket_name" {
  description = "S3BucketName: bucket for the model artifact; empty creates one."
  type        = string
  default     = ""
}

variable "endpoint_name" {
  description = "EndpointName: lower-case endpoint name; empty uses whisper-endpoint."
  type        = string
  default     = ""
}

variable "enable_auto_scaling" {
  description = "EnableAutoScaling: \"true\" or \"false\"."
  type        = string
  default     = "true"
}

variable "auto_scaling_min_capacity" {
  description = "AutoScalingMinCapacity: 1-3."
  type        = number
  default     = 1
}

variable "auto_scaling_max_capacity" {
  description = "AutoScalingMaxCapacity: 1-3, not below the minimum."
  type        = number
  default     = 3
}

variable "auto_scaling_target_gpu_utilization" {
  description = "AutoScalingTargetGpuUtilization: percent of one GPU, 10-90."
  type        = number
  default     = 50
}

variable "auto_scaling_scale_out_cooldown" {
  description = "AutoScalingScaleOutCooldown: seconds, 0-3600."
  type        = number
  default     = 60
}

variable "auto_scaling_scale_in_cooldown" {
  description = "AutoScalingScaleInCooldown: seconds, 0-3600."
  type        = number
  default     = 300
}

################################################################################
# Beyond LCA's parameters
################################################################################

variable "model_data_url" {
  description = "S3 URI of a prebuilt model.tar.gz (python -m builder build); null builds it during apply."
  type        = string
  default     = null
}

variable "create_lca_shim_stack" {
  description = "Also deploy the LCA CloudFormation shim as a stack (see examples/lca)."
  type        = bool
  default     = false
}

variable "aws_region" {
  description = "AWS region; null uses the provider's usual sources (AWS_REGION, profile)."
  type        = string
  default     = null
}


variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
