variable "region" {
  description = "AWS region of the LCA stack."
  type        = string
  default     = "us-east-1"
}

variable "lca_stack_name" {
  description = "Name of the LCA CloudFormation stack (lower case); the endpoint is whisper-endpoint-<this>."
  type        = string
  default     = "lca"
}

variable "whisper_model_size" {
  description = "LCA's WhisperModelSize."
  type        = string
  default     = "large-v2"
}

variable "sagemaker_instance_type" {
  description = "LCA's SageMakerInstanceType."
  type        = string
  default     = "ml.g5.2xlarge"
}

variable "model_data_url" {
  description = "Prebuilt model.tar.gz S3 URI; null builds one during apply."
  type        = string
  default     = null
}

variable "create_lca_shim_stack" {
  description = "Deploy the shim as a stack here too."
  type        = bool
  default     = false
}
