# Least-privilege execution role: read exactly the artifact, pull exactly the image's
# repository, write the endpoint's own logs and metrics, decrypt with the given key; for an
# asynchronous endpoint also read its requests, write its results and publish its notifications.
# No AmazonSageMakerFullAccess.

locals {
  create_role = local.create && var.create_role
  role_arn    = local.create_role ? try(aws_iam_role.this[0].arn, null) : var.role_arn

  account_id = try(data.aws_caller_identity.current[0].account_id, "")
  # A tar.gz is one object; an uncompressed artifact is every object under its prefix.
  artifact_key_arn = local.artifact_uri == null ? null : (
    local.artifact_compressed
    ? "arn:${local.partition}:s3:::${local.artifact_bucket}/${local.artifact_location[1]}"
    : "arn:${local.partition}:s3:::${local.artifact_bucket}/${local.artifact_location[1]}*"
  )
  # Data capture writes objects under destination_s3_uri with the endpoint's role.
  capture_location = var.data_capture == null ? null : regex("^s3://([^/]+)/?(.*)$", var.data_capture.destination_s3_uri)

  # Asynchronous inference: SageMaker reads each request's InputLocation and writes its result
  # (or failure) with the endpoint's role. A path is a folder (SageMaker adds <id>.out under
  # it): grant the objects under "prefix/", not every key that merely starts with "prefix".
  async_paths = var.async_inference == null ? {} : {
    for k, uri in {
      input   = var.async_inference.s3_input_path
      output  = var.async_inference.s3_output_path
      failure = var.async_inference.s3_failure_path
    } : k => regex("^s3://([^/]+)/?(.*)$", uri) if uri != null
  }
  async_object_arns = {
    for k, loc in local.async_paths :
    k => "arn:${local.partition}:s3:::${loc[0]}/${loc[1] == "" || endswith(loc[1], "/") ? loc[1] : "${loc[1]}/"}*"
  }
  async_topic_arns = var.async_inference == null ? [] : distinct(compact([
    var.async_inference.success_topic_arn, var.async_inference.error_topic_arn,
  ]))
}

data "aws_iam_policy_document" "assume" {
  count = local.create_role ? 1 : 0

  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["sagemaker.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "this" {
  count = local.create_role ? 1 : 0

  statement {
    sid       = "ReadModelArtifact"
    actions   = ["s3:GetObject"]
    resources = [local.artifact_key_arn]
  }

  dynamic "statement" {
    # Loading an uncompressed prefix lists it first.
    for_each = local.artifact_compressed ? [] : [1]
    content {
      sid       = "ListModelArtifactPrefix"
      actions   = ["s3:ListBucket"]
      resources = ["arn:${local.partition}:s3:::${local.artifact_bucket}"]
      condition {
        test     = "StringLike"
        variable = "s3:prefix"
        values   = ["${local.artifact_location[1]}*"]
      }
    }
  }

  statement {
    sid       = "PullServingImage"
    actions   = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
    resources = ["arn:${local.partition}:ecr:${local.image_parts[1]}:${local.image_parts[0]}:repository/${local.image_parts[2]}"]
  }

  statement {
    # ECR's token API has no resource-level permissions.
    sid       = "EcrAuthToken"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }

  statement {
    sid     = "EndpointLogs"
    actions = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
    resources = [
      "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws/sagemaker/Endpoints/${var.name}",
      "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws/sagemaker/Endpoints/${var.name}:log-stream:*",
    ]
  }

  statement {
    # PutMetricData has no resource-level permissions; the namespace condition scopes it.
    sid       = "EndpointMetrics"
    actions   = ["cloudwatch:PutMetricData"]
    resources = ["*"]
    condition {
      test     = "StringLike"
      variable = "cloudwatch:namespace"
      values   = ["/aws/sagemaker/Endpoints", "/aws/sagemaker/Endpoints/*"]
    }
  }

  dynamic "statement" {
    for_each = var.kms_key_arn == null ? [] : [var.kms_key_arn]
    content {
      sid       = "DecryptWithKey"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey", "kms:CreateGrant", "kms:DescribeKey"]
      resources = [statement.value]
    }
  }

  dynamic "statement" {
    for_each = local.capture_location == null ? [] : [local.capture_location]
    content {
      sid       = "WriteDataCapture"
      actions   = ["s3:PutObject"]
      resources = ["arn:${local.partition}:s3:::${statement.value[0]}/${statement.value[1]}*"]
    }
  }

  dynamic "statement" {
    # Captured objects are encrypted with this key (S3 asks for a data key on each upload).
    for_each = try(var.data_capture.kms_key_id, null) == null ? [] : [var.data_capture.kms_key_id]
    content {
      sid       = "EncryptDataCapture"
      actions   = ["kms:Encrypt", "kms:GenerateDataKey", "kms:Decrypt"]
      resources = [statement.value]
    }
  }

  dynamic "statement" {
    for_each = contains(keys(local.async_object_arns), "input") ? [local.async_object_arns.input] : []
    content {
      sid       = "ReadAsyncRequests"
      actions   = ["s3:GetObject"]
      resources = [statement.value]
    }
  }

  dynamic "statement" {
    # Large results are uploaded in parts; an interrupted upload is aborted.
    for_each = var.async_inference == null ? [] : [distinct([for k, arn in local.async_object_arns : arn if k != "input"])]
    content {
      sid       = "WriteAsyncResults"
      actions   = ["s3:PutObject", "s3:AbortMultipartUpload"]
      resources = statement.value
    }
  }

  dynamic "statement" {
    # S3 asks the key for a data key per upload, and to decrypt it again for each part of a multipart upload.
    for_each = try(var.async_inference.kms_key_arn, null) == null ? [] : [var.async_inference.kms_key_arn]
    content {
      sid       = "EncryptAsyncResults"
      actions   = ["kms:Encrypt", "kms:GenerateDataKey", "kms:Decrypt"]
      resources = [statement.value]
    }
  }

  dynamic "statement" {
    for_each = length(local.async_topic_arns) == 0 ? [] : [local.async_topic_arns]
    content {
      sid       = "PublishAsyncNotifications"
      actions   = ["sns:Publish"]
      resources = statement.value
    }
  }

  dynamic "statement" {
    for_each = var.vpc_config == null ? [] : [1]
    content {
      # SageMaker attaches ENIs in the given subnets; these EC2 calls have no resource scoping.
      sid = "VpcNetworkInterfaces"
      actions = [
        "ec2:CreateNetworkInterface", "ec2:CreateNetworkInterfacePermission", "ec2:DeleteNetworkInterface",
        "ec2:DeleteNetworkInterfacePermission", "ec2:DescribeDhcpOptions", "ec2:DescribeNetworkInterfaces",
        "ec2:DescribeSecurityGroups", "ec2:DescribeSubnets", "ec2:DescribeVpcs",
      ]
      resources = ["*"]
    }
  }
}

resource "aws_iam_role" "this" {
  count = local.create_role ? 1 : 0

  # The provider caps name_prefix at 38 characters (64 minus its 26-character unique
  # suffix: roleNamePrefixMaxLen in internal/service/iam/role.go); 27 + "-sagemaker-" = 38.
  name_prefix          = "${substr(var.name, 0, 27)}-sagemaker-"
  assume_role_policy   = data.aws_iam_policy_document.assume[0].json
  permissions_boundary = var.role_permissions_boundary
  tags                 = var.tags
}

resource "aws_iam_role_policy" "this" {
  count = local.create_role ? 1 : 0

  name   = "whisper-endpoint"
  role   = aws_iam_role.this[0].id
  policy = data.aws_iam_policy_document.this[0].json
}
