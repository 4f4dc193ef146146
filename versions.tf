terraform {
  required_version = ">= 1.7" # what modules/whisper_sagemaker requires

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 6.21"
    }
  }
}
