terraform {
  required_version = ">= 1.6"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 6.21"
    }
    external = {
      source  = "hashicorp/external"
      version = ">= 2.3"
    }
  }
}
