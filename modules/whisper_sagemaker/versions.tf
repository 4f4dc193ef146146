terraform {
  # 1.7: the module's tests (tests/*.tftest.hcl) mock the provider with `mock_provider`,
  # which `terraform test` / `tofu test` gained in 1.7 (`terraform test` itself is 1.6).
  required_version = ">= 1.7"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # 6.21: UpdateEndpoint sends the new endpoint configuration's name (older
      # versions sent the old one when name_prefix + create_before_destroy replaced it).
      version = ">= 6.21"
    }
  }
}
