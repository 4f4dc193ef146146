variable "region" {
  description = "AWS region."
  type        = string
  default     = "us-east-1"
}

variable "endpoint_name" {
  description = "Lower-case endpoint name."
  type        = string
  default     = "whisper-streaming"
}

variable "image_uri" {
  description = "The serving image in your ECR, by digest: the line `python -m serving_image build --base <the DLC> --tag ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPOSITORY:TAG` prints."
  type        = string
}

variable "model_size" {
  description = "Whisper model size."
  type        = string
  default     = "large-v2"
}

variable "instance_type" {
  description = "SageMaker instance type."
  type        = string
  default     = "ml.g5.2xlarge"
}

variable "model_data_url" {
  description = "Prebuilt model.tar.gz S3 URI; null builds one."
  type        = string
  default     = null
}
