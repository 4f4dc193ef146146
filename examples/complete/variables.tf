variable "region" {
  description = "AWS region."
  type        = string
  default     = "us-east-1"
}

variable "model_data_url" {
  description = "Prebuilt model.tar.gz (s3://.../model.tar.gz); VPC + network isolation mean the endpoint never downloads from the internet."
  type        = string
  default     = "s3://whisper-complete-artifacts/whisper/0000000000000000000000000000000000000000000000000000000000000000/model.tar.gz"
}

variable "capture_bucket_name" {
  description = "Existing bucket for data capture."
  type        = string
  default     = "whisper-complete-capture"
}

