# Where the model artifact comes from, in order: model_data_url (tar.gz),
# model_data_s3_prefix (uncompressed), the builder's manifest.json, or (none given)
# the module builds it with `python -m builder` into the bucket.
#
# manifest.json keys read (as `python -m builder build` writes them): s3.uri, artifact.layout
# ("tar.gz" or "uncompressed").

locals {
  manifest        = var.manifest_path == null ? null : jsondecode(file(var.manifest_path))
  manifest_uri    = try(local.manifest.s3.uri, null)
  manifest_layout = var.manifest_path == null ? null : local.manifest.artifact.layout

  build_artifact = local.create && var.model_data_url == null && var.model_data_s3_prefix == null && var.manifest_path == null

  create_bucket = local.build_artifact && var.create_bucket && var.bucket_name == null
  bucket_name   = local.create_bucket ? try(aws_s3_bucket.this[0].id, null) : var.bucket_name

  # "" only when misconfigured; terraform_data's precondition then says why.
  build_bucket = local.bucket_name == null ? "" : local.bucket_name
  builder_dir  = coalesce(var.builder.working_dir, abspath("${path.module}/../.."))
  build_plan   = try(module.content_key[0], null)

  artifact_uri = (
    var.model_data_url != null ? var.model_data_url :
    var.model_data_s3_prefix != null ? var.model_data_s3_prefix :
    var.manifest_path != null ? local.manifest_uri :
    try(terraform_data.build_artifact[0].output, null)
  )
  artifact_compressed = (
    var.model_data_url != null ? true :
    var.model_data_s3_prefix != null ? false :
    var.manifest_path != null ? local.manifest_layout == "tar.gz" :
    var.builder.layout == "tar.gz"
  )
  # bucket and key of the artifact, for the role's S3 read grant.
  artifact_location = local.artifact_uri == null ? null : regex("^s3://([^/]+)/(.*)$", local.artifact_uri)
  artifact_bucket   = local.build_artifact ? local.bucket_name : try(local.artifact_location[0], null)
}

# Cheap, offline: hashes every input that shapes the artifact (in HCL, the same inputs and
# canonical JSON as `python -m builder plan`) and names its S3 key. The bucket is not part of
# the key, so the key is known at plan time even when the bucket is created by this apply.
module "content_key" {
  source = "./modules/content_key"
  count  = local.build_artifact ? 1 : 0

  builder_dir = local.builder_dir
  model_size  = var.model_size
  prefix      = var.builder.prefix
  layout      = var.builder.layout
  wheels      = var.builder.wheels
}

# The expensive build + upload runs only when the content key (or bucket) changes.
resource "terraform_data" "build_artifact" {
  count = local.build_artifact ? 1 : 0

  triggers_replace = [local.build_plan.content_key, local.build_bucket, local.build_plan.s3_key]
  input            = "s3://${local.build_bucket}/${local.build_plan.s3_key}"

  provisioner "local-exec" {
    working_dir = local.builder_dir
    environment = var.builder.environment
    command = join(" ", [for arg in concat([
      var.builder.python, "-m", "builder", "build",
      "--model-size", var.model_size,
      "--layout", var.builder.layout,
      "--wheels", var.builder.wheels,
      "--output", abspath("${path.root}/.terraform/whisper-artifact"),
      "--bucket", local.build_bucket,
      "--prefix", var.builder.prefix,
      "--no-progress",
      ], var.kms_key_arn == null ? [] : ["--kms-key-id", var.kms_key_arn]
    ) : format("'%s'", replace(arg, "'", "'\\''"))])
  }

  # Upload only into a bucket that is already private, encrypted and TLS-only.
  depends_on = [aws_s3_bucket_server_side_encryption_configuration.this, aws_s3_bucket_policy.this]

  lifecycle {
    precondition {
      condition     = local.build_bucket != ""
      error_message = "Building the artifact needs a bucket: set bucket_name, or create_bucket = true, or give model_data_url / model_data_s3_prefix / manifest_path."
    }
  }
}
