# Application Auto Scaling of the AllTraffic variant on real GPU utilisation.
# GPUUtilization is 0-100 per GPU summed over an instance's GPUs, so the tracked
# metric is divided by the GPU count: the target means "percent of one GPU".

locals {
  create_autoscaling = local.create && var.enable_autoscaling
}

resource "aws_appautoscaling_target" "this" {
  count = local.create_autoscaling ? 1 : 0

  service_namespace  = "sagemaker"
  scalable_dimension = "sagemaker:variant:DesiredInstanceCount"
  resource_id        = "endpoint/${aws_sagemaker_endpoint.this[0].name}/variant/${local.variant_name}"
  min_capacity       = var.autoscaling.min_capacity
  max_capacity       = var.autoscaling.max_capacity
  tags               = var.tags

  # SageMaker refuses to change the instance type of a variant registered for scaling
  # ("deregister it first"): re-register around such an update (destroy, update, create).
  lifecycle {
    replace_triggered_by = [aws_sagemaker_endpoint_configuration.this[0].production_variants[0].instance_type]
  }
}

resource "aws_appautoscaling_policy" "gpu_utilization" {
  count = local.create_autoscaling ? 1 : 0

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
  count = local.create_autoscaling && var.autoscaling.target_invocations_per_instance != null ? 1 : 0

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
