terraform {
  # No providers: this module only validates LCA's parameters and renders the shim,
  # so it can be planned and tested anywhere.
  required_version = ">= 1.6"
}
