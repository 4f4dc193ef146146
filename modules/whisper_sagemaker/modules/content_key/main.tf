# The builder's content key, computed in HCL from the same inputs `python -m builder plan`
# hashes (builder/plan.py content_inputs), so planning needs no Python and no provider.
# jsonencode sorts object keys and writes no spaces; builder/plan.py canonical_json writes
# the same bytes. Keep the two in step: tests/terraform/test_terraform_content_key.py
# checks they agree for every model size.

locals {
  pins = jsondecode(file("${var.builder_dir}/builder/pins.json"))

  # An alias ("large" is LCA's name for large-v2) shares its target's pins.
  # null for an unknown size: the outputs' precondition then names the known ones.
  model_entry = lookup(local.pins.models, var.model_size, null)
  model       = local.model_entry == null ? null : try(local.pins.models[local.model_entry.alias_of], local.model_entry)

  handler_dir = "${var.builder_dir}/inference"

  inputs = {
    artifact_format = local.pins.artifact_format
    model = {
      kind     = "hub"
      repo     = try(local.model.repo, null)
      revision = try(local.model.revision, null)
    }
    # What the endpoint runs: the handler's Python files, not its docs nor the local-only
    # files pins.json lists (the local server's asynchronous-inference emulation).
    handler = {
      for f in fileset(local.handler_dir, "**/*.py") : f => filesha256("${local.handler_dir}/${f}")
      if !strcontains(f, "__pycache__/") && !contains(local.pins.local_only, f)
    }
    layout     = var.layout
    gzip_level = var.layout == "tar.gz" ? 0 : null
    wheels = var.wheels == "vendor" ? {
      lock         = filesha256("${var.builder_dir}/builder/wheels.lock")
      requirements = filesha256("${var.builder_dir}/builder/runtime-requirements.in")
    } : null
  }

  content_key = sha256(jsonencode(local.inputs))
  prefix      = trim(var.prefix, "/")
  s3_base     = local.prefix == "" ? local.content_key : "${local.prefix}/${local.content_key}"
  s3_key      = var.layout == "tar.gz" ? "${local.s3_base}/model.tar.gz" : "${local.s3_base}/model/"
}
