locals {
  endpoint_name = var.endpoint_name != "" ? var.endpoint_name : "whisper-endpoint"
  # CloudFormation stack names start with a letter; endpoint names may start with a digit.
  shim_stack_name = can(regex("^[a-z]", local.endpoint_name)) ? "${local.endpoint_name}-lca-shim" : "lca-shim-${local.endpoint_name}"

  # CloudFormation parameter declarations of the shim: LCA's names, defaults and
  # allowed values, so LCA's main stack can pass exactly what it passes today.
  cfn_parameters = {
    WhisperModelSize = {
      Type          = "String"
      Default       = "large-v2"
      AllowedValues = ["tiny", "tiny.en", "base", "base.en", "small", "small.en", "medium", "medium.en", "large", "large-v1", "large-v2", "large-v3"]
      Description   = "Whisper model size (reported; the endpoint runs the size Terraform deployed)"
    }
    SageMakerInstanceType = {
      Type          = "String"
      Default       = "ml.g5.2xlarge"
      AllowedValues = ["ml.g4dn.xlarge", "ml.g4dn.2xlarge", "ml.g4dn.4xlarge", "ml.g5.xlarge", "ml.g5.2xlarge", "ml.g5.4xlarge"]
      Description   = "Accepted for compatibility; the instance type is managed by Terraform"
    }
    SageMakerInstanceCount = {
      Type        = "Number"
      Default     = 1
      MinValue    = 1
      MaxValue    = 3
      Description = "Accepted for compatibility; the instance count is managed by Terraform"
    }
    S3BucketName = {
      Type        = "String"
      Default     = ""
      Description = "Accepted for compatibility; the artifact bucket is managed by Terraform"
    }
    EndpointName = {
      Type        = "String"
      Default     = ""
      Description = "Accepted for compatibility; the endpoint name is managed by Terraform"
    }
    EnableAutoScaling = {
      Type          = "String"
      Default       = "true"
      AllowedValues = ["true", "false"]
      Description   = "Accepted for compatibility; autoscaling is managed by Terraform"
    }
    AutoScalingMinCapacity = {
      Type        = "Number"
      Default     = 1
      MinValue    = 1
      MaxValue    = 3
      Description = "Accepted for compatibility; autoscaling is managed by Terraform"
    }
    AutoScalingMaxCapacity = {
      Type        = "Number"
      Default     = 3
      MinValue    = 1
      MaxValue    = 3
      Description = "Accepted for compatibility; autoscaling is managed by Terraform"
    }
    AutoScalingTargetGpuUtilization = {
      Type        = "Number"
      Default     = 50
      MinValue    = 10
      MaxValue    = 90
      Description = "Accepted for compatibility; autoscaling is managed by Terraform"
    }
    AutoScalingScaleOutCooldown = {
      Type        = "Number"
      Default     = 60
      MinValue    = 0
      MaxValue    = 3600
      Description = "Accepted for compatibility; autoscaling is managed by Terraform"
    }
    AutoScalingScaleInCooldown = {
      Type        = "Number"
      Default     = 300
      MinValue    = 0
      MaxValue    = 3600
      Description = "Accepted for compatibility; autoscaling is managed by Terraform"
    }
  }

  # The shim's outputs: what Terraform deployed, under the names LCA reads.
  cfn_outputs = {
    WhisperSageMakerEndpointName    = coalesce(var.deployed.endpoint_name, local.endpoint_name)
    WhisperModelSize                = var.whisper_model_size
    S3BucketName                    = coalesce(var.deployed.s3_bucket_name, var.s3_bucket_name, "-")
    AutoScalingEnabled              = var.enable_auto_scaling
    AutoScalingMinCapacity          = tostring(var.auto_scaling_min_capacity)
    AutoScalingMaxCapacity          = tostring(var.auto_scaling_max_capacity)
    AutoScalingTargetGpuUtilization = tostring(var.auto_scaling_target_gpu_utilization)
    AutoScalingScaleOutCooldown     = tostring(var.auto_scaling_scale_out_cooldown)
    AutoScalingScaleInCooldown      = tostring(var.auto_scaling_scale_in_cooldown)
  }

  template_body = templatefile("${path.module}/templates/lca_shim.yaml.tftpl", {
    parameters = local.cfn_parameters
    outputs    = local.cfn_outputs
  })
}
