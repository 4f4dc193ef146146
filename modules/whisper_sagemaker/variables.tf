################################################################################
# General
################################################################################

variable "create" {
  description = "Whether to create anything at all (false plans zero resources)."
  type        = bool
  default     = true
}

variable "name" {
  description = "Endpoint name, also the base of every other name. Lower case: SageMaker ARNs are lower-case and IAM matching (LCA's InvokeEndpoint grant) is case-sensitive."
  type        = string
  default     = "whisper"

  validation {
    condition     = can(regex("^[a-z0-9](-*[a-z0-9])*$", var.name)) && length(var.name) <= 63
    error_message = "name must be 1-63 lower-case letters, digits and hyphens, starting and ending with a letter or digit (LCA's IAM grant on the endpoint ARN is case-sensitive)."
  }
}

variable "tags" {
  description = "Tags for every resource that supports them."
  type        = map(string)
  default     = {}
}

################################################################################
# Model artifact: exactly one source, or none (the module builds it)
################################################################################

variable "model_size" {
  description = "Whisper model size; the builder's pinned Hub repo for it is used when the module builds the artifact (python -m builder list-models)."
  type        = string
  default     = "large-v2"
}

variable "model_data_url" {
  description = "S3 URI of a prebuilt model.tar.gz (python -m builder build). Nothing is built."
  type        = string
  default     = null

  validation {
    condition     = var.model_data_url == null || can(regex("^s3://[^/]+/.+\\.tar\\.gz$", var.model_data_url))
    error_message = "model_data_url must be an s3://bucket/key.tar.gz URI."
  }
}

variable "model_data_s3_prefix" {
  description = "S3 prefix (ending in /) of an uncompressed artifact (builder --layout uncompressed), loaded with CompressionType None. Nothing is built."
  type        = string
  default     = null

  validation {
    condition     = var.model_data_s3_prefix == null || can(regex("^s3://[^/]+/(.+/)?$", var.model_data_s3_prefix))
    error_message = "model_data_s3_prefix must be an s3://bucket/prefix/ URI ending in /."
  }
}

variable "manifest_path" {
  description = "Path to the builder's manifest.json of an uploaded artifact; its s3.uri and artifact.layout are used. Nothing is built."
  type        = string
  default     = null
}

variable "builder" {
  description = "How the module runs `python -m builder` when no artifact is given: the Python command, the directory holding the builder package (default: this repository's root), S3 key prefix, artifact layout, wheels mode and extra environment (e.g. AWS_ENDPOINT_URL for tests)."
  type = object({
    python      = optional(string, "python3")
    working_dir = optional(string)
    prefix      = optional(string, "whisper")
    layout      = optional(string, "tar.gz")
    wheels      = optional(string, "vendor")
    environment = optional(map(string), {})
  })
  default  = {}
  nullable = false

  validation {
    condition     = contains(["tar.gz", "uncompressed"], var.builder.layout) && contains(["vendor", "none"], var.builder.wheels)
    error_message = "builder.layout must be tar.gz or uncompressed; builder.wheels must be vendor or none."
  }
}

################################################################################
# Container
################################################################################

variable "image_uri" {
  description = "Container image; null picks the AWS Deep Learning Container (Hugging Face PyTorch inference, CUDA 12.4 + cuDNN 9) of the current region. With streaming: the serving image derived from it (python -m serving_image build)."
  type        = string
  default     = null
}

variable "image_tag" {
  description = "Tag of the huggingface-pytorch-inference DLC used when image_uri is null."
  type        = string
  default     = "2.6.0-transformers4.49.0-gpu-py312-cu124-ubuntu22.04"
}

variable "streaming" {
  description = "Also serve SageMaker's bidirectional streaming (InvokeEndpointWithBidirectionalStream: live transcription over one connection, Deepgram's live protocol) next to LCA's request/response /invocations. Needs image_uri set to the serving image (python -m serving_image build): its label is what makes SageMaker open streams. Not with async_inference."
  type        = bool
  default     = false
  nullable    = false
}

variable "whisper_device" {
  description = "WHISPER_DEVICE for the handler: auto, cpu or cuda."
  type        = string
  default     = "cuda"

  validation {
    condition     = contains(["auto", "cpu", "cuda"], var.whisper_device)
    error_message = "whisper_device must be auto, cpu or cuda."
  }
}

variable "whisper_compute_type" {
  description = "WHISPER_COMPUTE_TYPE for the handler (CTranslate2 compute type, e.g. float16, int8_float16, int8)."
  type        = string
  default     = "float16"
}

variable "environment" {
  description = "Extra container environment (WHISPER_* handler settings); merged over the module's."
  type        = map(string)
  default     = {}
}

variable "enable_network_isolation" {
  description = "Run the container without network access (the artifact ships its wheels)."
  type        = bool
  default     = true
}

variable "vpc_config" {
  description = "Optional VPC for the model containers."
  type = object({
    subnet_ids         = list(string)
    security_group_ids = list(string)
  })
  default = null
}

################################################################################
# Endpoint
################################################################################

variable "instance_type" {
  description = "SageMaker instance type of the AllTraffic variant."
  type        = string
  default     = "ml.g5.2xlarge"

  validation {
    condition     = can(regex("^ml\\.[a-z0-9]+\\.[a-z0-9]+$", var.instance_type))
    error_message = "instance_type must look like ml.g5.2xlarge."
  }
}

variable "instance_count" {
  description = "initial_instance_count. Every endpoint configuration change resets the running count to this value (see README FAQ)."
  type        = number
  default     = 1

  validation {
    condition     = var.instance_count >= 1 && floor(var.instance_count) == var.instance_count
    error_message = "instance_count must be a positive integer."
  }
}

variable "volume_size_in_gb" {
  description = "ML storage volume per instance; null for instance types with local NVMe storage (g4dn, g5, ...), where SageMaker rejects it."
  type        = number
  default     = null
}

variable "model_data_download_timeout_in_seconds" {
  description = "Time allowed to download the artifact (60-3600)."
  type        = number
  default     = 1200

  validation {
    condition     = var.model_data_download_timeout_in_seconds >= 60 && var.model_data_download_timeout_in_seconds <= 3600
    error_message = "model_data_download_timeout_in_seconds must be 60-3600."
  }
}

variable "container_startup_health_check_timeout_in_seconds" {
  description = "Time allowed for the container to answer /ping after start (60-3600); it pip-installs the vendored wheels and loads the model first."
  type        = number
  default     = 900

  validation {
    condition     = var.container_startup_health_check_timeout_in_seconds >= 60 && var.container_startup_health_check_timeout_in_seconds <= 3600
    error_message = "container_startup_health_check_timeout_in_seconds must be 60-3600."
  }
}

variable "kms_key_arn" {
  description = "KMS key for the endpoint's ML storage volume, data capture and (when the module creates it) the bucket. SageMaker rejects it on instance types with local NVMe storage (g4dn, g5, ...)."
  type        = string
  default     = null
}

variable "data_capture" {
  description = "Optional data capture of requests/responses to S3."
  type = object({
    destination_s3_uri          = string
    initial_sampling_percentage = optional(number, 100)
    capture_modes               = optional(list(string), ["Input", "Output"])
    kms_key_id                  = optional(string)
  })
  default = null

  # The provider requires at least one capture_options block; SageMaker takes Input and/or Output.
  validation {
    condition = var.data_capture == null || (
      length(try(var.data_capture.capture_modes, [])) > 0 &&
      length(distinct(try(var.data_capture.capture_modes, []))) == length(try(var.data_capture.capture_modes, [])) &&
      alltrue([for m in try(var.data_capture.capture_modes, []) : contains(["Input", "Output"], m)])
    )
    error_message = "data_capture.capture_modes must list Input, Output or both (at least one, no repeats)."
  }
  validation {
    condition     = var.data_capture == null || can(regex("^s3://[^/]+(/.*)?$", var.data_capture.destination_s3_uri))
    error_message = "data_capture.destination_s3_uri must be an s3://bucket[/prefix] URI."
  }
  validation {
    condition     = var.data_capture == null || try(var.data_capture.initial_sampling_percentage >= 0 && var.data_capture.initial_sampling_percentage <= 100 && floor(var.data_capture.initial_sampling_percentage) == var.data_capture.initial_sampling_percentage, false)
    error_message = "data_capture.initial_sampling_percentage must be an integer from 0 to 100."
  }
  validation {
    # The role is granted kms:GenerateDataKey on exactly this key, and IAM needs its ARN.
    condition     = try(var.data_capture.kms_key_id, null) == null || can(regex("^arn:[^:]+:kms:[^:]+:\\d{12}:key/.+$", var.data_capture.kms_key_id))
    error_message = "data_capture.kms_key_id must be a KMS key ARN (arn:PARTITION:kms:REGION:ACCOUNT:key/ID): the execution role is granted that key."
  }
}

variable "deployment_config" {
  description = "Optional deployment guardrails for endpoint updates: rolling (batch of instances) or blue_green (ALL_AT_ONCE, CANARY or LINEAR traffic shifting), plus CloudWatch alarm names that roll the update back. Changing auto_rollback_alarm_names replaces the endpoint in the provider."
  type = object({
    rolling = optional(object({
      maximum_batch_size_type              = optional(string, "CAPACITY_PERCENT")
      maximum_batch_size_value             = optional(number, 50)
      wait_interval_in_seconds             = optional(number, 300)
      maximum_execution_timeout_in_seconds = optional(number)
    }))
    blue_green = optional(object({
      traffic_routing_type                 = optional(string, "ALL_AT_ONCE")
      wait_interval_in_seconds             = optional(number, 300)
      canary_size_percent                  = optional(number)
      linear_step_size_percent             = optional(number)
      termination_wait_in_seconds          = optional(number, 0)
      maximum_execution_timeout_in_seconds = optional(number)
    }))
    auto_rollback_alarm_names = optional(list(string), [])
  })
  default = null

  # hashicorp/aws: deployment_config needs ExactlyOneOf blue_green_update_policy /
  # rolling_update_policy, and auto_rollback_configuration.alarms takes 1-10 alarms.
  validation {
    condition     = var.deployment_config == null || (try(var.deployment_config.rolling, null) != null) != (try(var.deployment_config.blue_green, null) != null)
    error_message = "deployment_config takes exactly one of rolling or blue_green (the provider requires one update policy)."
  }
  validation {
    condition     = var.deployment_config == null || length(try(var.deployment_config.auto_rollback_alarm_names, [])) <= 10
    error_message = "deployment_config.auto_rollback_alarm_names takes at most 10 alarms."
  }
  # SageMaker's limits (DeploymentConfig API): rolling batches of 5-50 % of capacity (or 1+
  # instances), execution timeouts of 600-28800 s, waits of 0-3600 s; CANARY needs a first
  # step of at most 50 %, LINEAR steps of 10-50 % (both sent as CAPACITY_PERCENT).
  validation {
    condition = try(var.deployment_config.rolling, null) == null || try(
      var.deployment_config.rolling.maximum_batch_size_type == "CAPACITY_PERCENT" ? (
        var.deployment_config.rolling.maximum_batch_size_value >= 5 && var.deployment_config.rolling.maximum_batch_size_value <= 50
      ) : var.deployment_config.rolling.maximum_batch_size_type == "INSTANCE_COUNT" && var.deployment_config.rolling.maximum_batch_size_value >= 1,
    false)
    error_message = "deployment_config.rolling: maximum_batch_size_type is CAPACITY_PERCENT (value 5-50) or INSTANCE_COUNT (value at least 1)."
  }
  validation {
    # Each traffic routing type takes its own size and no other (ALL_AT_ONCE none).
    condition = try(var.deployment_config.blue_green, null) == null || try(
      contains(["ALL_AT_ONCE", "CANARY", "LINEAR"], var.deployment_config.blue_green.traffic_routing_type) &&
      (var.deployment_config.blue_green.canary_size_percent != null) == (var.deployment_config.blue_green.traffic_routing_type == "CANARY") &&
      (var.deployment_config.blue_green.linear_step_size_percent != null) == (var.deployment_config.blue_green.traffic_routing_type == "LINEAR"),
    false)
    error_message = "deployment_config.blue_green: traffic_routing_type ALL_AT_ONCE takes no size, CANARY needs canary_size_percent and LINEAR needs linear_step_size_percent (and only that)."
  }
  validation {
    condition = try(var.deployment_config.blue_green, null) == null || try(
      (var.deployment_config.blue_green.canary_size_percent == null ? true : var.deployment_config.blue_green.canary_size_percent >= 1 && var.deployment_config.blue_green.canary_size_percent <= 50) &&
      (var.deployment_config.blue_green.linear_step_size_percent == null ? true : var.deployment_config.blue_green.linear_step_size_percent >= 10 && var.deployment_config.blue_green.linear_step_size_percent <= 50),
    false)
    error_message = "deployment_config.blue_green: canary_size_percent must be 1-50 and linear_step_size_percent 10-50 (percent of the variant's capacity)."
  }
  validation {
    condition = var.deployment_config == null || alltrue([
      for t in [try(var.deployment_config.rolling.maximum_execution_timeout_in_seconds, null), try(var.deployment_config.blue_green.maximum_execution_timeout_in_seconds, null)] :
      t == null ? true : t >= 600 && t <= 28800
    ])
    error_message = "deployment_config maximum_execution_timeout_in_seconds must be 600-28800 (SageMaker's limits)."
  }
  validation {
    condition = var.deployment_config == null || alltrue([
      for w in [try(var.deployment_config.rolling.wait_interval_in_seconds, null), try(var.deployment_config.blue_green.wait_interval_in_seconds, null), try(var.deployment_config.blue_green.termination_wait_in_seconds, null)] :
      w == null ? true : w >= 0 && w <= 3600
    ])
    error_message = "deployment_config wait_interval_in_seconds and termination_wait_in_seconds must be 0-3600."
  }
}

################################################################################
# Asynchronous inference
################################################################################

variable "async_inference" {
  description = "Make the endpoint asynchronous (InvokeEndpointAsync: request payloads read from S3, results written to S3, optional SNS notifications; scales to zero, see async_autoscaling). s3_input_path is where clients put recordings: SageMaker reads them with the execution role, which is granted that prefix only. Null: a real-time endpoint (LCA's)."
  type = object({
    s3_output_path                          = string
    s3_failure_path                         = optional(string)
    s3_input_path                           = optional(string)
    kms_key_arn                             = optional(string)
    success_topic_arn                       = optional(string)
    error_topic_arn                         = optional(string)
    include_inference_response_in           = optional(list(string), [])
    max_concurrent_invocations_per_instance = optional(number)
  })
  default = null

  validation {
    condition = var.async_inference == null || alltrue([
      for uri in [try(var.async_inference.s3_output_path, null), try(var.async_inference.s3_failure_path, null), try(var.async_inference.s3_input_path, null)] :
      uri == null ? true : can(regex("^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/.*)?$", uri)) && length(uri) <= 512
    ])
    error_message = "async_inference.s3_output_path, s3_failure_path and s3_input_path must be s3://bucket[/prefix] URIs of at most 512 characters (SageMaker's limit)."
  }
  validation {
    # The role is granted sns:Publish on exactly these topics, and IAM needs their ARNs.
    condition = var.async_inference == null || alltrue([
      for arn in [try(var.async_inference.success_topic_arn, null), try(var.async_inference.error_topic_arn, null)] :
      arn == null ? true : can(regex("^arn:[^:]+:sns:[a-z0-9-]+:\\d{12}:[A-Za-z0-9_-]{1,256}$", arn))
    ])
    error_message = "async_inference.success_topic_arn and error_topic_arn must be SNS topic ARNs (arn:PARTITION:sns:REGION:ACCOUNT:NAME): the execution role is granted sns:Publish on them."
  }
  validation {
    condition     = try(var.async_inference.kms_key_arn, null) == null || can(regex("^arn:[^:]+:kms:[^:]+:\\d{12}:key/.+$", var.async_inference.kms_key_arn))
    error_message = "async_inference.kms_key_arn must be a KMS key ARN (arn:PARTITION:kms:REGION:ACCOUNT:key/ID): the execution role is granted that key."
  }
  validation {
    condition = try(var.async_inference.max_concurrent_invocations_per_instance, null) == null || try(
      var.async_inference.max_concurrent_invocations_per_instance >= 1 && var.async_inference.max_concurrent_invocations_per_instance <= 1000 &&
    floor(var.async_inference.max_concurrent_invocations_per_instance) == var.async_inference.max_concurrent_invocations_per_instance, false)
    error_message = "async_inference.max_concurrent_invocations_per_instance must be an integer from 1 to 1000 (SageMaker's limits)."
  }
  validation {
    # SageMaker puts the response in the notification when asked; without that topic nothing would carry it.
    condition = var.async_inference == null || try(alltrue([
      for where in var.async_inference.include_inference_response_in :
      where == "SUCCESS_NOTIFICATION_TOPIC" ? var.async_inference.success_topic_arn != null : (
      where == "ERROR_NOTIFICATION_TOPIC" && var.async_inference.error_topic_arn != null)
    ]), false)
    error_message = "async_inference.include_inference_response_in takes SUCCESS_NOTIFICATION_TOPIC (with success_topic_arn) and/or ERROR_NOTIFICATION_TOPIC (with error_topic_arn)."
  }
}

variable "async_autoscaling" {
  description = "Scaling of an asynchronous endpoint (with async_inference and enable_autoscaling): capacity bounds (min 0 scales to zero when the queue is empty), the queued requests per instance to track (ApproximateBacklogSizePerInstance), the target tracking cooldowns, and the cooldown of the step policy that starts the first instance when requests wait with none running (HasBacklogWithoutCapacity)."
  type = object({
    min_capacity                = optional(number, 0)
    max_capacity                = optional(number, 3)
    target_backlog_per_instance = optional(number, 5)
    scale_in_cooldown           = optional(number, 600)
    scale_out_cooldown          = optional(number, 300)
    scale_from_zero_cooldown    = optional(number, 300)
  })
  default  = {}
  nullable = false

  validation {
    condition = (var.async_autoscaling.min_capacity >= 0 && var.async_autoscaling.max_capacity >= 1 &&
      var.async_autoscaling.min_capacity <= var.async_autoscaling.max_capacity &&
    floor(var.async_autoscaling.min_capacity) == var.async_autoscaling.min_capacity && floor(var.async_autoscaling.max_capacity) == var.async_autoscaling.max_capacity)
    error_message = "async_autoscaling: min_capacity must be an integer from 0 (scale to zero) to max_capacity, and max_capacity at least 1."
  }
  validation {
    condition     = var.async_autoscaling.target_backlog_per_instance > 0
    error_message = "async_autoscaling.target_backlog_per_instance must be above 0 (queued requests per instance)."
  }
  validation {
    condition = alltrue([for c in [var.async_autoscaling.scale_in_cooldown, var.async_autoscaling.scale_out_cooldown, var.async_autoscaling.scale_from_zero_cooldown] :
    c >= 0 && c <= 3600])
    error_message = "async_autoscaling cooldowns must be 0-3600 seconds."
  }
}

################################################################################
# IAM
################################################################################

variable "create_role" {
  description = "Create a least-privilege execution role; false uses role_arn."
  type        = bool
  default     = true
}

variable "role_arn" {
  description = "Bring-your-own execution role (when create_role is false)."
  type        = string
  default     = null
}

variable "role_permissions_boundary" {
  description = "Permissions boundary for the created role."
  type        = string
  default     = null
}

################################################################################
# S3 bucket for artifacts
################################################################################

variable "create_bucket" {
  description = "Create the artifact bucket (versioned, encrypted, private, bucket-owner-enforced, TLS only) when bucket_name is null and the module builds the artifact."
  type        = bool
  default     = true
}

variable "bucket_name" {
  description = "Existing bucket for the artifact the module builds (nothing is created)."
  type        = string
  default     = null
}

variable "bucket_force_destroy" {
  description = "Let destroy empty and delete the bucket the module created. True by default, unlike a general-purpose bucket module, because that bucket holds only the artifacts the module built: byte-reproducible from pinned inputs under their content key, so apply rebuilds whatever destroy deletes. Set false if you keep anything else in it (destroy then fails with BucketNotEmpty); a bucket passed as bucket_name is never deleted."
  type        = bool
  default     = true
}

################################################################################
# Autoscaling
################################################################################

variable "enable_autoscaling" {
  description = "Register the variant with Application Auto Scaling: a real-time endpoint tracks GPU utilisation (autoscaling), an asynchronous one its queue (async_autoscaling)."
  type        = bool
  default     = true
}

variable "autoscaling" {
  description = "Capacity bounds, GPU utilisation target (percent of one GPU, averaged over the instance's GPUs), cooldowns, and an optional second policy on invocations per instance."
  type = object({
    min_capacity                    = optional(number, 1)
    max_capacity                    = optional(number, 3)
    target_gpu_utilization          = optional(number, 50)
    scale_in_cooldown               = optional(number, 300)
    scale_out_cooldown              = optional(number, 60)
    target_invocations_per_instance = optional(number)
    disable_scale_in                = optional(bool, false)
    gpu_count_per_instance_override = optional(number)
  })
  default  = {}
  nullable = false

  validation {
    condition     = var.autoscaling.min_capacity >= 1 && var.autoscaling.min_capacity <= var.autoscaling.max_capacity
    error_message = "autoscaling.min_capacity must be at least 1 and not more than max_capacity."
  }
  validation {
    condition     = var.autoscaling.target_gpu_utilization >= 10 && var.autoscaling.target_gpu_utilization <= 90
    error_message = "autoscaling.target_gpu_utilization must be 10-90 (percent of one GPU)."
  }
  validation {
    condition = alltrue([for c in [var.autoscaling.scale_in_cooldown, var.autoscaling.scale_out_cooldown] :
    c >= 0 && c <= 3600])
    error_message = "autoscaling cooldowns must be 0-3600 seconds."
  }
}

################################################################################
# Alarms
################################################################################

variable "create_alarms" {
  description = "Create CloudWatch alarms on model latency, 4xx/5xx errors and GPU memory."
  type        = bool
  default     = false
}

variable "alarm_sns_topic_arn" {
  description = "SNS topic notified by the alarms (alarm and OK)."
  type        = string
  default     = null
}

variable "alarm_thresholds" {
  description = "Alarm thresholds: p90 ModelLatency in milliseconds (LCA re-sends partials every ~1 s), 4xx/5xx errors per minute, GPU memory percent (per GPU)."
  type = object({
    model_latency_p90_ms      = optional(number, 1000)
    invocation_4xx_per_minute = optional(number, 5)
    invocation_5xx_per_minute = optional(number, 1)
    gpu_memory_percent        = optional(number, 90)
    evaluation_periods        = optional(number, 3)
  })
  default  = {}
  nullable = false
}
