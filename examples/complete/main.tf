# Every feature of modules/whisper_sagemaker, plus a disabled instance that must plan
# zero resources. Point aws_endpoint_url at a moto server to apply it locally.

provider "aws" {
  region = var.region

  skip_credentials_validation = var.aws_endpoint_url != null
  s3_use_path_style           = var.aws_endpoint_url != null

  dynamic "endpoints" {
    for_each = var.aws_endpoint_url == null ? [] : [var.aws_endpoint_url]
    content {
      applicationautoscaling = endpoints.value
      cloudformation         = endpoints.value
      cloudwatch             = endpoints.value
      ec2                    = endpoints.value
      ecr                    = endpoints.value
      iam                    = endpoints.value
      kms                    = endpoints.value
      s3                     = endpoints.value
      sagemaker              = endpoints.value
      sns                    = endpoints.value
      sts                    = endpoints.value
    }
  }
}

locals {
  name = "whisper-complete"
  tags = { Example = "complete", Project = "whisper-sagemaker" }
}

################################################################################
# Supporting resources: network, key, notifications, capture bucket
################################################################################

resource "aws_vpc" "this" {
  #checkov:skip=CKV2_AWS_11:Example network only; flow logs need a log group and role the example has no use for.
  #checkov:skip=CKV2_AWS_12:The default security group is unused here; the endpoint gets its own group below.
  cidr_block = "10.42.0.0/16"
  tags       = local.tags
}

resource "aws_subnet" "private" {
  count = 2

  vpc_id            = aws_vpc.this.id
  cidr_block        = cidrsubnet(aws_vpc.this.cidr_block, 8, count.index)
  availability_zone = "${var.region}${["a", "b"][count.index]}"
  tags              = local.tags
}

resource "aws_security_group" "endpoint" {
  #checkov:skip=CKV2_AWS_5:Attached to the endpoint's ENIs through module.whisper's vpc_config, which checkov cannot follow.
  name_prefix = "${local.name}-"
  description = "Whisper endpoint containers: no inbound, HTTPS out to VPC endpoints"
  vpc_id      = aws_vpc.this.id

  egress {
    description = "HTTPS to S3/ECR VPC endpoints inside the VPC"
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = [aws_vpc.this.cidr_block]
  }

  tags = local.tags
}

resource "aws_kms_key" "this" {
  #checkov:skip=CKV2_AWS_64:The default key policy (the account administers the key through IAM) is what this example needs.
  description             = "whisper-sagemaker complete example"
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
    VariantName  = "AllTraffic"
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
