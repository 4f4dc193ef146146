terraform {
  # 1.6: `terraform test` / `tofu test` and the validation features used here.
  required_version = ">= 1.6"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # 6.21: UpdateEndpoint sends the new endpoint configuration's name (older
      # versions sent the old one when name_prefix + create_before_destroy replaced it).
      version = ">= 6.21"
    }
  }
}
