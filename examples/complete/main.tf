# Every feature of modules/whisper_sagemaker, plus a disabled instance that must plan
# zero resources.

provider "aws" {
  region = var.region
}

locals {
  name = "whisper-complete"
  tags = { Example = "complete", Project = "whisper-sagemaker" }
}

################################################################################
# Supporting resources: key, notifications (the network is in network.tf)
################################################################################

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

# The account administers the key through IAM (the default policy), and CloudWatch may
# use it: alarms publish to the encrypted topic, which needs a data key from this key.
data "aws_iam_policy_document" "key" {
  #checkov:skip=CKV_AWS_109:A key policy's "*" is the key itself; the account root statement is AWS's default key policy.
  #checkov:skip=CKV_AWS_111:A key policy's "*" is the key itself; the account root statement is AWS's default key policy.
  #checkov:skip=CKV_AWS_356:A key policy's "*" is the key itself, not every resource.
  statement {
    sid       = "AccountAdministersThroughIam"
    actions   = ["kms:*"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }

  statement {
    sid       = "CloudWatchAlarmsPublishToTheTopic"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey*"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_kms_key" "this" {
  description             = "whisper-sagemaker complete example"
  policy                  = data.aws_iam_policy_document.key.json
  enable_key_rotation     = true
  deletion_window_in_days = 7
  tags                    = local.tags
}

resource "aws_sns_topic" "alarms" {
  name              = "${local.name}-alarms"
  kms_master_key_id = aws_kms_key.this.arn
  tags              = local.tags
}

resource "aws_cloudwatch_metric_alarm" "rollback" {
  alarm_name          = "${local.name}-deployment-5xx"
  alarm_description   = "Rolls back an endpoint update that starts failing requests."
  namespace           = "AWS/SageMaker"
  metric_name         = "Invocation5XXErrors"
  statistic           = "Sum"
  period              = 60
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  dimensions = {
    EndpointName = local.name
    VariantName  = module.whisper.variant_name
  }
  tags = local.tags
}

################################################################################
# The module with every feature on
################################################################################

module "whisper" {
  source = "../../modules/whisper_sagemaker"

  name       = local.name
  model_size = "large-v3"
  # A type without local NVMe, so the KMS key and volume size are accepted.
  instance_type                                     = "ml.p3.2xlarge"
  instance_count                                    = 2
  volume_size_in_gb                                 = 50
  kms_key_arn                                       = aws_kms_key.this.arn
  model_data_url                                    = var.model_data_url
  model_data_download_timeout_in_seconds            = 900
  container_startup_health_check_timeout_in_seconds = 600
  whisper_compute_type                              = "int8_float16"
  environment                                       = { WHISPER_MAX_QUEUE = "4" }

  vpc_config = {
    subnet_ids         = aws_subnet.private[*].id
    security_group_ids = [aws_security_group.endpoint.id]
  }

  data_capture = {
    destination_s3_uri          = "s3://${var.capture_bucket_name}/capture"
    initial_sampling_percentage = 10
    kms_key_id                  = aws_kms_key.this.arn
  }

  deployment_config = {
    rolling = {
      maximum_batch_size_type  = "CAPACITY_PERCENT"
      maximum_batch_size_value = 50
      wait_interval_in_seconds = 120
    }
    auto_rollback_alarm_names = [aws_cloudwatch_metric_alarm.rollback.alarm_name]
  }

  enable_autoscaling = true
  autoscaling = {
    min_capacity                    = 2
    max_capacity                    = 6
    target_gpu_utilization          = 60
    scale_out_cooldown              = 60
    scale_in_cooldown               = 600
    target_invocations_per_instance = 120
  }

  create_alarms       = true
  alarm_sns_topic_arn = aws_sns_topic.alarms.arn
  alarm_thresholds = {
    model_latency_p90_ms = 800
  }

  tags = local.tags
}

# Same module, switched off: plans zero resources.
module "disabled" {
  source = "../../modules/whisper_sagemaker"

  create = false
}
