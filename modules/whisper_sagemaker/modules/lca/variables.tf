# LCA's nested Whisper stack (lca-whisper-sagemaker-stack/template.yaml) takes these 11
# parameters; the names are its names in snake_case, the defaults and allowed values
# are its defaults and allowed values. This file is the one place that knows them.

variable "whisper_model_size" {
  description = "WhisperModelSize: Whisper model size."
  type        = string
  default     = "large-v2"

  validation {
    condition     = contains(["tiny", "tiny.en", "base", "base.en", "small", "small.en", "medium", "medium.en", "large", "large-v1", "large-v2", "large-v3"], var.whisper_model_size)
    error_message = "whisper_model_size must be one of tiny, tiny.en, base, base.en, small, small.en, medium, medium.en, large, large-v1, large-v2, large-v3."
  }
}

variable "sagemaker_instance_type" {
  description = "SageMakerInstanceType: GPU instance type of the endpoint."
  type        = string
  default     = "ml.g5.2xlarge"

  validation {
    condition     = contains(["ml.g4dn.xlarge", "ml.g4dn.2xlarge", "ml.g4dn.4xlarge", "ml.g5.xlarge", "ml.g5.2xlarge", "ml.g5.4xlarge"], var.sagemaker_instance_type)
    error_message = "sagemaker_instance_type must be one of ml.g4dn.xlarge, ml.g4dn.2xlarge, ml.g4dn.4xlarge, ml.g5.xlarge, ml.g5.2xlarge, ml.g5.4xlarge."
  }
}

variable "sagemaker_instance_count" {
  description = "SageMakerInstanceCount: initial instance count (1-3)."
  type        = number
  default     = 1

  validation {
    condition     = var.sagemaker_instance_count >= 1 && var.sagemaker_instance_count <= 3 && floor(var.sagemaker_instance_count) == var.sagemaker_instance_count
    error_message = "sagemaker_instance_count must be an integer from 1 to 3."
  }
}

variable "s3_bucket_name" {
  description = "S3BucketName: bucket for the model artifact; empty creates one."
  type        = string
  default     = ""

  validation {
    condition     = var.s3_bucket_name == "" || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.s3_bucket_name))
    error_message = "s3_bucket_name must be empty (create a bucket) or a valid S3 bucket name."
  }
}

variable "endpoint_name" {
  description = "EndpointName: SageMaker endpoint name; empty generates one. Lower case only: LCA's InvokeEndpoint grant matches the ARN case-sensitively and SageMaker ARNs are lower-case."
  type        = string
  default     = ""

  validation {
    condition     = var.endpoint_name == "" || (can(regex("^[a-z0-9](-*[a-z0-9])*$", var.endpoint_name)) && length(var.endpoint_name) <= 63)
    error_message = "endpoint_name must be empty or 1-63 lower-case letters, digits and hyphens, starting and ending with a letter or digit (LCA's IAM grant on the endpoint ARN is case-sensitive)."
  }
}

variable "enable_auto_scaling" {
  description = "EnableAutoScaling: \"true\" or \"false\"."
  type        = string
  default     = "true"

  validation {
    condition     = contains(["true", "false"], var.enable_auto_scaling)
    error_message = "enable_auto_scaling must be \"true\" or \"false\"."
  }
}

variable "auto_scaling_min_capacity" {
  description = "AutoScalingMinCapacity: minimum instances (1-3)."
  type        = number
  default     = 1

  validation {
    condition     = var.auto_scaling_min_capacity >= 1 && var.auto_scaling_min_capacity <= 3 && floor(var.auto_scaling_min_capacity) == var.auto_scaling_min_capacity
    error_message = "auto_scaling_min_capacity must be an integer from 1 to 3."
  }
}

variable "auto_scaling_max_capacity" {
  description = "AutoScalingMaxCapacity: maximum instances (1-3), not below the minimum."
  type        = number
  default     = 3

  validation {
    condition     = var.auto_scaling_max_capacity >= 1 && var.auto_scaling_max_capacity <= 3 && floor(var.auto_scaling_max_capacity) == var.auto_scaling_max_capacity
    error_message = "auto_scaling_max_capacity must be an integer from 1 to 3."
  }
}

variable "auto_scaling_target_gpu_utilization" {
  description = "AutoScalingTargetGpuUtilization: target GPU utilisation in percent (10-90)."
  type        = number
  default     = 50

  validation {
    condition     = var.auto_scaling_target_gpu_utilization >= 10 && var.auto_scaling_target_gpu_utilization <= 90
    error_message = "auto_scaling_target_gpu_utilization must be from 10 to 90."
  }
}

variable "auto_scaling_scale_out_cooldown" {
  description = "AutoScalingScaleOutCooldown: seconds (0-3600)."
  type        = number
  default     = 60

  validation {
    condition     = var.auto_scaling_scale_out_cooldown >= 0 && var.auto_scaling_scale_out_cooldown <= 3600
    error_message = "auto_scaling_scale_out_cooldown must be from 0 to 3600 seconds."
  }
}

variable "auto_scaling_scale_in_cooldown" {
  description = "AutoScalingScaleInCooldown: seconds (0-3600)."
  type        = number
  default     = 300

  validation {
    condition     = var.auto_scaling_scale_in_cooldown >= 0 && var.auto_scaling_scale_in_cooldown <= 3600
    error_message = "auto_scaling_scale_in_cooldown must be from 0 to 3600 seconds."
  }
}

################################################################################
# What the shim reports (the Terraform-managed endpoint)
################################################################################

variable "deployed" {
  description = "The endpoint as Terraform deployed it, reported by the shim's outputs. Null fields fall back to the parameters above."
  type = object({
    endpoint_name  = optional(string)
    s3_bucket_name = optional(string)
  })
  default  = {}
  nullable = false
}
