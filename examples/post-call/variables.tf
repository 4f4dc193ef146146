variable "region" {
  description = "AWS region."
  type        = string
  default     = "us-east-1"
}

variable "model_data_url" {
  description = "Prebuilt model.tar.gz (s3://.../model.tar.gz, python -m builder build --bucket ...)."
  type        = string
  default     = "s3://whisper-post-call-artifacts/whisper/0000000000000000000000000000000000000000000000000000000000000000/model.tar.gz"
}

variable "instance_type" {
  description = "Instance type while the endpoint runs; it scales to zero instances when no recording waits."
  type        = string
  default     = "ml.g5.xlarge"
}

variable "max_instances" {
  description = "Most instances the queue may scale to."
  type        = number
  default     = 2
}

variable "recordings_retention_days" {
  description = "Days a recording stays under incoming/ before S3 deletes it (transcripts are kept)."
  type        = number
  default     = 30
}

variable "bucket_force_destroy" {
  description = "Let destroy delete the bucket with the recordings and transcripts in it."
  type        = bool
  default     = false
}

