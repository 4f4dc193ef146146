data "aws_partition" "current" {
  count = var.create ? 1 : 0
}

data "aws_region" "current" {
  count = var.create ? 1 : 0
}

data "aws_caller_identity" "current" {
  count = var.create ? 1 : 0
}

locals {
  create = var.create
  # The one production variant, named as LCA's stack named it; scaling and metrics address it by name.
  variant_name = "AllTraffic"

  partition = try(data.aws_partition.current[0].partition, "aws")
  # `id` is the region name in hashicorp/aws 5.x and 6.x alike (6.x adds `region`, deprecates `name`).
  region = try(data.aws_region.current[0].id, "")
  dns    = try(data.aws_partition.current[0].dns_suffix, "amazonaws.com")

  image_uri = coalesce(var.image_uri, format("%s.dkr.ecr.%s.%s/%s:%s",
    lookup(local.dlc_registry_accounts, local.region, local.dlc_default_account),
  local.region, local.dns, local.dlc_repository, var.image_tag))
  # account, region and repository of the image: what the role may pull (and nothing else).
  # (try: with create = false there is no region, and nothing reads these)
  image_parts = try(regex("^(\\d+)\\.dkr\\.ecr\\.([a-z0-9-]+)\\.[^/]+/([^:@]+)", local.image_uri), ["", "", ""])

  instance_family = split(".", var.instance_type)[1]
  instance_nvme   = contains(local.nvme_instance_families, local.instance_family)
  gpu_count = coalesce(var.autoscaling.gpu_count_per_instance_override,
  lookup(local.gpu_count_per_instance, var.instance_type, 1))

  # An asynchronous request is a whole recording with up to an hour of processing
  # (InvokeEndpointAsync's InvocationTimeoutSeconds allows 3600 s): raise the handler's
  # real-time limits and the model server's to match; `environment` still wins.
  # 4 h of audio as a 16 kHz 16-bit mono WAV (or an 8 kHz stereo call) is 461 MB: 512 MB
  # bodies (async allows 1 GB; the model server's front end holds a body in memory).
  async_environment = var.async_inference == null ? {} : {
    SAGEMAKER_MODEL_SERVER_TIMEOUT = "3600"
    SAGEMAKER_MAX_PAYLOAD_IN_MB    = "512"
    WHISPER_MAX_PAYLOAD_BYTES      = tostring(512 * 1024 * 1024)
    WHISPER_MAX_AUDIO_S            = "14400"
    WHISPER_DECODE_BUDGET_S        = "3600"
  }

  # The DLC toolkit imports code/inference.py from the artifact and pip-installs
  # code/requirements.txt, which points at the vendored wheels (no internet needed).
  # The streaming serving image has no toolkit: its entrypoint installs the same wheels
  # and runs the artifact's server itself (serving_image/entrypoint.sh).
  toolkit_environment = var.streaming ? {} : {
    SAGEMAKER_PROGRAM              = "inference.py"
    SAGEMAKER_SUBMIT_DIRECTORY     = "/opt/ml/model/code"
    SAGEMAKER_CONTAINER_LOG_LEVEL  = "20"
    SAGEMAKER_MODEL_SERVER_WORKERS = "1" # one model copy per GPU; the handler serialises GPU work itself
    SAGEMAKER_MODEL_SERVER_TIMEOUT = "60"
  }

  environment = merge(local.toolkit_environment, {
    SAGEMAKER_REGION     = local.region
    HF_HUB_OFFLINE       = "1"
    WHISPER_DEVICE       = var.whisper_device
    WHISPER_COMPUTE_TYPE = var.whisper_compute_type
  }, local.async_environment, var.environment)
}

resource "aws_sagemaker_model" "this" {
  count = local.create ? 1 : 0

  # The name carries a digest of what the model is, so a new artifact or image makes a
  # new model first (create_before_destroy) while the old configuration still uses the old one.
  name                     = "${substr(var.name, 0, 54)}-${substr(sha256(jsonencode([local.image_uri, local.artifact_uri, local.environment, var.vpc_config, var.enable_network_isolation])), 0, 8)}"
  execution_role_arn       = local.role_arn
  enable_network_isolation = var.enable_network_isolation

  primary_container {
    image          = local.image_uri
    mode           = "SingleModel"
    environment    = local.environment
    model_data_url = local.artifact_compressed ? local.artifact_uri : null

    dynamic "model_data_source" {
      for_each = local.artifact_compressed ? [] : [local.artifact_uri]
      content {
        s3_data_source {
          s3_uri           = model_data_source.value
          s3_data_type     = "S3Prefix"
          compression_type = "None"
        }
      }
    }
  }

  dynamic "vpc_config" {
    for_each = var.vpc_config == null ? [] : [var.vpc_config]
    content {
      subnets            = vpc_config.value.subnet_ids
      security_group_ids = vpc_config.value.security_group_ids
    }
  }

  tags = var.tags

  # The role's S3/ECR permissions must exist before SageMaker validates the model.
  depends_on = [aws_iam_role_policy.this]

  lifecycle {
    create_before_destroy = true

    precondition {
      # The sources are alternatives, not a fallback chain: two of them is a mistake to report.
      condition     = length([for s in [var.model_data_url, var.model_data_s3_prefix, var.manifest_path] : s if s != null]) <= 1
      error_message = "Give at most one artifact source: model_data_url, model_data_s3_prefix or manifest_path (none: the module builds the artifact)."
    }
    precondition {
      condition     = local.artifact_uri != null
      error_message = "No model artifact: manifest_path's manifest.json has no s3.uri (was it built with --bucket?)."
    }
    precondition {
      condition     = local.role_arn != null
      error_message = "create_role = false needs role_arn: the ARN of an execution role SageMaker can assume that may read the artifact and pull the image."
    }
    precondition {
      condition     = can(regex("^\\d+\\.dkr\\.ecr\\.[a-z0-9-]+\\.[^/]+/[^:@]+", local.image_uri))
      error_message = "image_uri must be an ECR image (ACCOUNT.dkr.ecr.REGION.DOMAIN/REPOSITORY:TAG): the role is granted pull on that repository only."
    }
    precondition {
      condition     = !var.streaming || var.async_inference == null
      error_message = "streaming and async_inference exclude each other: a stream is live audio on one connection, an asynchronous request a whole recording in S3. Deploy two endpoints for both."
    }
    precondition {
      condition     = !var.streaming || (var.image_uri != null && !local.image_is_dlc)
      error_message = "streaming needs image_uri set to the serving image: python -m serving_image build --base <this module's image_uri output without streaming> --tag ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPOSITORY:TAG. SageMaker opens streams only to an image labelled ${local.streaming_label}=true, which the Deep Learning Container is not."
    }
  }
}

resource "aws_sagemaker_endpoint_configuration" "this" {
  count = local.create ? 1 : 0

  # Configurations are immutable and referenced by name from the endpoint: a random
  # suffix + create_before_destroy lets a change create the new one before the old goes.
  name_prefix = "${substr(var.name, 0, 36)}-"
  kms_key_arn = var.kms_key_arn

  production_variants {
    variant_name                                      = local.variant_name
    model_name                                        = aws_sagemaker_model.this[0].name
    instance_type                                     = var.instance_type
    initial_instance_count                            = var.instance_count
    initial_variant_weight                            = 1
    volume_size_in_gb                                 = var.volume_size_in_gb
    model_data_download_timeout_in_seconds            = var.model_data_download_timeout_in_seconds
    container_startup_health_check_timeout_in_seconds = var.container_startup_health_check_timeout_in_seconds
  }

  dynamic "data_capture_config" {
    for_each = var.data_capture == null ? [] : [var.data_capture]
    content {
      enable_capture              = true
      initial_sampling_percentage = data_capture_config.value.initial_sampling_percentage
      destination_s3_uri          = data_capture_config.value.destination_s3_uri
      kms_key_id                  = data_capture_config.value.kms_key_id

      dynamic "capture_options" {
        for_each = data_capture_config.value.capture_modes
        content {
          capture_mode = capture_options.value
        }
      }

      capture_content_type_header {
        json_content_types = ["application/json"]
      }
    }
  }

  dynamic "async_inference_config" {
    for_each = var.async_inference == null ? [] : [var.async_inference]
    content {
      dynamic "client_config" {
        for_each = async_inference_config.value.max_concurrent_invocations_per_instance == null ? [] : [async_inference_config.value.max_concurrent_invocations_per_instance]
        content {
          max_concurrent_invocations_per_instance = client_config.value
        }
      }

      output_config {
        s3_output_path  = async_inference_config.value.s3_output_path
        s3_failure_path = async_inference_config.value.s3_failure_path
        kms_key_id      = async_inference_config.value.kms_key_arn

        dynamic "notification_config" {
          for_each = async_inference_config.value.success_topic_arn == null && async_inference_config.value.error_topic_arn == null ? [] : [async_inference_config.value]
          content {
            success_topic                 = notification_config.value.success_topic_arn
            error_topic                   = notification_config.value.error_topic_arn
            include_inference_response_in = length(notification_config.value.include_inference_response_in) == 0 ? null : notification_config.value.include_inference_response_in
          }
        }
      }
    }
  }

  tags = var.tags

  lifecycle {
    create_before_destroy = true

    precondition {
      condition     = var.kms_key_arn == null || !local.instance_nvme
      error_message = "kms_key_arn cannot be used with ${var.instance_type}: SageMaker rejects KmsKeyId on instance types with local NVMe storage (${join(", ", local.nvme_instance_families)}); their instance storage is encrypted by the hardware."
    }
    precondition {
      condition     = var.volume_size_in_gb == null || !local.instance_nvme
      error_message = "volume_size_in_gb cannot be used with ${var.instance_type}: instance types with local NVMe storage have a fixed volume."
    }
  }
}

resource "aws_sagemaker_endpoint" "this" {
  count = local.create ? 1 : 0

  name                 = var.name
  endpoint_config_name = aws_sagemaker_endpoint_configuration.this[0].name

  dynamic "deployment_config" {
    for_each = var.deployment_config == null ? [] : [var.deployment_config]
    content {
      dynamic "rolling_update_policy" {
        for_each = deployment_config.value.rolling == null ? [] : [deployment_config.value.rolling]
        content {
          wait_interval_in_seconds             = rolling_update_policy.value.wait_interval_in_seconds
          maximum_execution_timeout_in_seconds = rolling_update_policy.value.maximum_execution_timeout_in_seconds
          maximum_batch_size {
            type  = rolling_update_policy.value.maximum_batch_size_type
            value = rolling_update_policy.value.maximum_batch_size_value
          }
        }
      }

      dynamic "blue_green_update_policy" {
        for_each = deployment_config.value.blue_green == null ? [] : [deployment_config.value.blue_green]
        content {
          termination_wait_in_seconds          = blue_green_update_policy.value.termination_wait_in_seconds
          maximum_execution_timeout_in_seconds = blue_green_update_policy.value.maximum_execution_timeout_in_seconds

          traffic_routing_configuration {
            type                     = blue_green_update_policy.value.traffic_routing_type
            wait_interval_in_seconds = blue_green_update_policy.value.wait_interval_in_seconds

            dynamic "canary_size" {
              for_each = blue_green_update_policy.value.canary_size_percent == null ? [] : [blue_green_update_policy.value.canary_size_percent]
              content {
                type  = "CAPACITY_PERCENT"
                value = canary_size.value
              }
            }
            dynamic "linear_step_size" {
              for_each = blue_green_update_policy.value.linear_step_size_percent == null ? [] : [blue_green_update_policy.value.linear_step_size_percent]
              content {
                type  = "CAPACITY_PERCENT"
                value = linear_step_size.value
              }
            }
          }
        }
      }

      dynamic "auto_rollback_configuration" {
        for_each = length(deployment_config.value.auto_rollback_alarm_names) == 0 ? [] : [deployment_config.value.auto_rollback_alarm_names]
        content {
          dynamic "alarms" {
            for_each = auto_rollback_configuration.value
            content {
              alarm_name = alarms.value
            }
          }
        }
      }
    }
  }

  tags = var.tags
}
