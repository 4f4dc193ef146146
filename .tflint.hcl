# tflint's built-in terraform ruleset with its "recommended" preset, for every module and
# example (scripts/tflint --recursive --config="$PWD/.tflint.hcl"; make lint; the tests).
config {
  call_module_type = "local"
}

plugin "terraform" {
  enabled = true
  preset  = "recommended"
}
