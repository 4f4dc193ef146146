variable "builder_dir" {
  description = "Directory holding the builder/ and inference/ packages (the repository root, or the site-packages they are installed in)."
  type        = string
}

variable "model_size" {
  description = "A model size from builder/pins.json (python -m builder list-models)."
  type        = string
}

variable "prefix" {
  description = "S3 key prefix of the artifact (the builder's --prefix)."
  type        = string
  default     = "whisper"
}

variable "layout" {
  description = "Artifact layout: tar.gz or uncompressed (the builder's --layout)."
  type        = string
  default     = "tar.gz"

  validation {
    condition     = contains(["tar.gz", "uncompressed"], var.layout)
    error_message = "layout must be tar.gz or uncompressed."
  }
}

variable "wheels" {
  description = "vendor (ship the runtime wheels) or none (the builder's --wheels)."
  type        = string
  default     = "vendor"

  validation {
    condition     = contains(["vendor", "none"], var.wheels)
    error_message = "wheels must be vendor or none."
  }
}
