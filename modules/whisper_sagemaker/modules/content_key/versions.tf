terraform {
  # Provider-free: file functions and jsonencode only.
  required_version = ">= 1.6"
}
