# Optional CloudWatch alarms. LCA waits for each request before sending more audio,
# so latency is the alarm that matters most: p90 above ~1 s means partials lag.

locals {
  create_alarms = local.create && var.create_alarms
  alarm_actions = var.alarm_sns_topic_arn == null ? [] : [var.alarm_sns_topic_arn]

  alarms = {
    model-latency-p90 = {
      description = "p90 ModelLatency above ${var.alarm_thresholds.model_latency_p90_ms} ms: LCA's transcripts fall behind the call."
      namespace   = "AWS/SageMaker"
      metric      = "ModelLatency"
      statistic   = null
      extended    = "p90"
      threshold   = var.alarm_thresholds.model_latency_p90_ms * 1000 # ModelLatency is in microseconds
    }
    invocation-4xx = {
      description = "More than ${var.alarm_thresholds.invocation_4xx_per_minute} 4xx errors a minute: clients send bad audio or payloads over 6 MB."
      namespace   = "AWS/SageMaker"
      metric      = "Invocation4XXErrors"
      statistic   = "Sum"
      extended    = null
      threshold   = var.alarm_thresholds.invocation_4xx_per_minute
    }
    invocation-5xx = {
      description = "More than ${var.alarm_thresholds.invocation_5xx_per_minute} 5xx errors a minute: the model fails; LCA loses that text."
      namespace   = "AWS/SageMaker"
      metric      = "Invocation5XXErrors"
      statistic   = "Sum"
      extended    = null
      threshold   = var.alarm_thresholds.invocation_5xx_per_minute
    }
    gpu-memory = {
      description = "GPU memory above ${var.alarm_thresholds.gpu_memory_percent}% of one GPU."
      namespace   = "/aws/sagemaker/Endpoints"
      metric      = "GPUMemoryUtilization"
      statistic   = "Maximum"
      extended    = null
      # summed over GPUs like GPUUtilization: scale the per-GPU threshold
      threshold = var.alarm_thresholds.gpu_memory_percent * local.gpu_count
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "this" {
  # An asynchronous request is a whole recording that may take minutes: no latency alarm.
  for_each = local.create_alarms ? { for k, a in local.alarms : k => a if !(local.asynchronous && k == "model-latency-p90") } : {}

  alarm_name          = "${var.name}-${each.key}"
  alarm_description   = each.value.description
  namespace           = each.value.namespace
  metric_name         = each.value.metric
  statistic           = each.value.statistic
  extended_statistic  = each.value.extended
  period              = 60
  evaluation_periods  = var.alarm_thresholds.evaluation_periods
  threshold           = each.value.threshold
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  dimensions = {
    EndpointName = aws_sagemaker_endpoint.this[0].name
    VariantName  = local.variant_name
  }

  tags = var.tags
}
