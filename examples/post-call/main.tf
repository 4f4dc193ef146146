# Post-call transcription: an asynchronous endpoint that transcribes whole recordings put in
# S3, notifies SNS topics, and scales to zero instances when no recording waits.

provider "aws" {
  region = var.region
}

locals {
  name = "whisper-post-call"
  tags = { Example = "post-call", Project = "whisper-sagemaker" }
}

################################################################################
# Recordings in, transcripts out: one private bucket
################################################################################

resource "aws_s3_bucket" "calls" {
  #checkov:skip=CKV_AWS_18:Access logs need a second bucket; CloudTrail S3 data events audit recordings where required.
  #checkov:skip=CKV_AWS_144:Recordings are kept in one region on purpose (call data residency); replicate where your policy asks for it.
  #checkov:skip=CKV2_AWS_62:The endpoint's SNS topics announce each transcript; S3 events would announce the same objects again.
  #checkov:skip=CKV_AWS_145:SSE-S3 keeps the example key-free (a KMS default would need the role to decrypt recordings too); see the README.
  bucket_prefix = "${local.name}-"
  force_destroy = var.bucket_force_destroy
  tags          = local.tags
}

resource "aws_s3_bucket_ownership_controls" "calls" {
  bucket = aws_s3_bucket.calls.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "calls" {
  bucket                  = aws_s3_bucket.calls.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "calls" {
  bucket = aws_s3_bucket.calls.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "calls" {
  bucket = aws_s3_bucket.calls.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

# Recordings are transcribed once; keep them a while for re-runs, then let S3 delete them.
resource "aws_s3_bucket_lifecycle_configuration" "calls" {
  bucket = aws_s3_bucket.calls.id

  rule {
    id     = "expire-recordings"
    status = "Enabled"
    filter {
      prefix = "incoming/"
    }
    expiration {
      days = var.recordings_retention_days
    }
  }

  rule {
    id     = "expire-noncurrent-and-incomplete"
    status = "Enabled"
    filter {}
    noncurrent_version_expiration {
      noncurrent_days = 30
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }
}

data "aws_iam_policy_document" "calls" {
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.calls.arn, "${aws_s3_bucket.calls.arn}/*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "calls" {
  bucket = aws_s3_bucket.calls.id
  policy = data.aws_iam_policy_document.calls.json

  # S3 rejects policies while the public access block is being applied.
  depends_on = [aws_s3_bucket_public_access_block.calls]
}

################################################################################
# Notifications: one topic per outcome (the AWS-managed SNS key needs no grant)
################################################################################

resource "aws_sns_topic" "success" {
  name              = "${local.name}-success"
  kms_master_key_id = "alias/aws/sns"
  tags              = local.tags
}

resource "aws_sns_topic" "error" {
  name              = "${local.name}-error"
  kms_master_key_id = "alias/aws/sns"
  tags              = local.tags
}

################################################################################
# The asynchronous endpoint
################################################################################

module "whisper" {
  source = "../../modules/whisper_sagemaker"

  name           = local.name
  model_size     = "large-v3"
  instance_type  = var.instance_type
  model_data_url = var.model_data_url

  async_inference = {
    s3_input_path     = "s3://${aws_s3_bucket.calls.id}/incoming/"
    s3_output_path    = "s3://${aws_s3_bucket.calls.id}/transcripts/"
    s3_failure_path   = "s3://${aws_s3_bucket.calls.id}/failures/"
    success_topic_arn = aws_sns_topic.success.arn
    error_topic_arn   = aws_sns_topic.error.arn
    # The handler decodes on one GPU worker at a time: two in flight keeps it busy
    # without a recording's wait eating into the next one's hour.
    max_concurrent_invocations_per_instance = 2
  }

  async_autoscaling = {
    min_capacity                = 0 # no recording waiting: no instance, no cost
    max_capacity                = var.max_instances
    target_backlog_per_instance = 4
  }

  tags = local.tags
}
