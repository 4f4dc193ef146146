output "content_key" {
  description = "SHA-256 of the canonical JSON of the artifact's inputs: what `python -m builder plan` prints as content_key."
  value       = local.content_key

  precondition {
    condition     = local.model != null
    error_message = "model_size \"${var.model_size}\" is not pinned in builder/pins.json; known sizes: ${join(", ", sort(keys(local.pins.models)))}."
  }
}

output "s3_key" {
  description = "PREFIX/<content key>/model.tar.gz, or PREFIX/<content key>/model/ for the uncompressed layout."
  value       = local.s3_key
}

output "inputs_json" {
  description = "The canonical JSON that was hashed (to compare with the builder's when keys differ)."
  value       = jsonencode(local.inputs)
}

output "revision" {
  description = "The pinned Hugging Face Hub commit of the model size."
  value       = try(local.model.revision, null)
}
