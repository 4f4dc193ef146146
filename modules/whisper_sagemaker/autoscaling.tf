# Application Auto Scaling of the AllTraffic variant. A real-time endpoint tracks real GPU
# utilisation: GPUUtilization is 0-100 per GPU summed over an instance's GPUs, so the tracked
# metric is divided by the GPU count and the target means "percent of one GPU".
# An asynchronous endpoint tracks its queue instead (AWS's pattern for async endpoints): its
# requests wait in the queue, not on the GPU, and at zero instances there is no GPU to measure.

locals {
  create_autoscaling = local.create && var.enable_autoscaling
  asynchronous       = var.async_inference != null
  # One set of bounds for the one scalable target: the queue may drain to zero instances.
  capacity = (local.asynchronous
    ? { min_capacity = var.async_autoscaling.min_capacity, max_capacity = var.async_autoscaling.max_capacity }
  : { min_capacity = var.autoscaling.min_capacity, max_capacity = var.autoscaling.max_capacity })
}

resource "aws_appautoscaling_target" "this" {
  count = local.create_autoscaling ? 1 : 0

  service_namespace  = "sagemaker"
  scalable_dimension = "sagemaker:variant:DesiredInstanceCount"
  resource_id        = "endpoint/${aws_sagemaker_endpoint.this[0].name}/variant/${local.variant_name}"
  min_capacity       = local.capacity.min_capacity
  max_capacity       = local.capacity.max_capacity
  tags               = var.tags

  # SageMaker refuses to change the instance type of a variant registered for scaling
  # ("deregister it first"): re-register around such an update (destroy, update, create).
  lifecycle {
    replace_triggered_by = [aws_sagemaker_endpoint_configuration.this[0].production_variants[0].instance_type]
  }
}

resource "aws_appautoscaling_policy" "gpu_utilization" {
  count = local.create_autoscaling && !local.asynchronous ? 1 : 0

  name               = "${var.name}-gpu-utilization"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.this[0].service_namespace
  scalable_dimension = aws_appautoscaling_target.this[0].scalable_dimension
  resource_id        = aws_appautoscaling_target.this[0].resource_id

  target_tracking_scaling_policy_configuration {
    target_value       = var.autoscaling.target_gpu_utilization
    scale_in_cooldown  = var.autoscaling.scale_in_cooldown
    scale_out_cooldown = var.autoscaling.scale_out_cooldown
    disable_scale_in   = var.autoscaling.disable_scale_in

    customized_metric_specification {
      metrics {
        id          = "gpu_per_instance"
        label       = "GPUUtilization averaged over the instances"
        return_data = false
        metric_stat {
          stat = "Average"
          metric {
            namespace   = "/aws/sagemaker/Endpoints"
            metric_name = "GPUUtilization"
            dimensions {
              name  = "EndpointName"
              value = aws_sagemaker_endpoint.this[0].name
            }
            dimensions {
              name  = "VariantName"
              value = local.variant_name
            }
          }
        }
      }
      metrics {
        id          = "gpu_per_gpu"
        label       = "GPUUtilization per GPU (${local.gpu_count} per instance)"
        expression  = "gpu_per_instance / ${local.gpu_count}"
        return_data = true
      }
    }
  }

  # Deregistering the target deletes its policies: recreate them with it.
  lifecycle {
    replace_triggered_by = [aws_appautoscaling_target.this]
  }
}

resource "aws_appautoscaling_policy" "invocations" {
  count = local.create_autoscaling && !local.asynchronous && var.autoscaling.target_invocations_per_instance != null ? 1 : 0

  name               = "${var.name}-invocations-per-instance"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.this[0].service_namespace
  scalable_dimension = aws_appautoscaling_target.this[0].scalable_dimension
  resource_id        = aws_appautoscaling_target.this[0].resource_id

  target_tracking_scaling_policy_configuration {
    target_value       = var.autoscaling.target_invocations_per_instance
    scale_in_cooldown  = var.autoscaling.scale_in_cooldown
    scale_out_cooldown = var.autoscaling.scale_out_cooldown
    disable_scale_in   = var.autoscaling.disable_scale_in

    predefined_metric_specification {
      predefined_metric_type = "SageMakerVariantInvocationsPerInstance"
    }
  }

  # Deregistering the target deletes its policies: recreate them with it.
  lifecycle {
    replace_triggered_by = [aws_appautoscaling_target.this]
  }
}

resource "aws_appautoscaling_policy" "backlog" {
  count = local.create_autoscaling && local.asynchronous ? 1 : 0

  name               = "${var.name}-backlog-per-instance"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.this[0].service_namespace
  scalable_dimension = aws_appautoscaling_target.this[0].scalable_dimension
  resource_id        = aws_appautoscaling_target.this[0].resource_id

  target_tracking_scaling_policy_configuration {
    target_value       = var.async_autoscaling.target_backlog_per_instance
    scale_in_cooldown  = var.async_autoscaling.scale_in_cooldown
    scale_out_cooldown = var.async_autoscaling.scale_out_cooldown

    customized_metric_specification {
      metric_name = "ApproximateBacklogSizePerInstance"
      namespace   = "AWS/SageMaker"
      statistic   = "Average"
      dimensions {
        name  = "EndpointName"
        value = aws_sagemaker_endpoint.this[0].name
      }
    }
  }

  # Deregistering the target deletes its policies: recreate them with it.
  lifecycle {
    replace_triggered_by = [aws_appautoscaling_target.this]
  }
}

# Target tracking starts the first instance only once the backlog per instance exceeds its
# target; this step adds one as soon as a request waits with none running.
resource "aws_appautoscaling_policy" "scale_from_zero" {
  count = local.create_autoscaling && local.asynchronous ? 1 : 0

  name               = "${var.name}-scale-from-zero"
  policy_type        = "StepScaling"
  service_namespace  = aws_appautoscaling_target.this[0].service_namespace
  scalable_dimension = aws_appautoscaling_target.this[0].scalable_dimension
  resource_id        = aws_appautoscaling_target.this[0].resource_id

  step_scaling_policy_configuration {
    adjustment_type         = "ChangeInCapacity"
    cooldown                = var.async_autoscaling.scale_from_zero_cooldown
    metric_aggregation_type = "Average"

    step_adjustment {
      metric_interval_lower_bound = 0
      scaling_adjustment          = 1
    }
  }

  # Deregistering the target deletes its policies: recreate them with it.
  lifecycle {
    replace_triggered_by = [aws_appautoscaling_target.this]
  }
}

# HasBacklogWithoutCapacity is 1 while requests are queued and no instance runs.
resource "aws_cloudwatch_metric_alarm" "backlog_without_capacity" {
  count = local.create_autoscaling && local.asynchronous ? 1 : 0

  alarm_name          = "${var.name}-backlog-without-capacity"
  alarm_description   = "Requests wait in the queue of ${var.name} with no instance running: start one (${aws_appautoscaling_policy.scale_from_zero[0].name})."
  namespace           = "AWS/SageMaker"
  metric_name         = "HasBacklogWithoutCapacity"
  statistic           = "Average"
  period              = 60
  evaluation_periods  = 2
  datapoints_to_alarm = 2
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "missing"
  alarm_actions       = [aws_appautoscaling_policy.scale_from_zero[0].arn]

  dimensions = {
    EndpointName = aws_sagemaker_endpoint.this[0].name
  }

  tags = var.tags
}
