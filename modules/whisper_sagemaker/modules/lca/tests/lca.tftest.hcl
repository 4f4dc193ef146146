# Runs anywhere (no providers): `scripts/tofu -chdir=modules/whisper_sagemaker/modules/lca test`.
# LCA's defaults and allowed values (lca-whisper-sagemaker-stack/template.yaml).

run "defaults_are_lcas" {
  command = apply

  assert {
    condition = output.parameters == {
      whisper_model_size                  = "large-v2"
      sagemaker_instance_type             = "ml.g5.2xlarge"
      sagemaker_instance_count            = 1
      s3_bucket_name                      = ""
      endpoint_name                       = ""
      enable_auto_scaling                 = "true"
      auto_scaling_min_capacity           = 1
      auto_scaling_max_capacity           = 3
      auto_scaling_target_gpu_utilization = 50
      auto_scaling_scale_out_cooldown     = 60
      auto_scaling_scale_in_cooldown      = 300
    }
    error_message = "defaults differ from LCA's: ${jsonencode(output.parameters)}"
  }
  assert {
    condition     = output.endpoint_name == "whisper-endpoint" && output.enable_auto_scaling
    error_message = "empty endpoint_name must give whisper-endpoint, EnableAutoScaling true"
  }
}

run "deployed_values_win_in_shim_outputs" {
  command = apply
  variables {
    endpoint_name       = "whisper-endpoint-mylca"
    enable_auto_scaling = "false"
    deployed            = { endpoint_name = "whisper-endpoint-mylca", s3_bucket_name = "artifacts-123" }
  }
  assert {
    condition     = output.shim_outputs.WhisperSageMakerEndpointName == "whisper-endpoint-mylca" && output.shim_outputs.S3BucketName == "artifacts-123" && output.shim_outputs.AutoScalingEnabled == "false"
    error_message = "shim outputs must report what Terraform deployed: ${jsonencode(output.shim_outputs)}"
  }
  assert {
    condition     = length(output.shim_outputs) == 9
    error_message = "the shim has LCA's 9 outputs"
  }
}

run "every_lca_model_size_and_instance_type_is_accepted" {
  command = plan
  variables {
    whisper_model_size      = "large-v3"
    sagemaker_instance_type = "ml.g4dn.xlarge"
  }
}

run "unknown_model_size" {
  command = plan
  variables { whisper_model_size = "huge" }
  expect_failures = [var.whisper_model_size]
}

run "instance_type_outside_lcas_list" {
  command = plan
  variables { sagemaker_instance_type = "ml.p3.2xlarge" }
  expect_failures = [var.sagemaker_instance_type]
}

run "instance_count_above_3" {
  command = plan
  variables { sagemaker_instance_count = 4 }
  expect_failures = [var.sagemaker_instance_count]
}

run "upper_case_endpoint_name" {
  command = plan
  variables { endpoint_name = "Whisper-Endpoint-LCA" }
  expect_failures = [var.endpoint_name]
}

run "enable_auto_scaling_not_a_cfn_boolean" {
  command = plan
  variables { enable_auto_scaling = "yes" }
  expect_failures = [var.enable_auto_scaling]
}

run "min_capacity_above_max" {
  command = plan
  variables {
    auto_scaling_min_capacity = 3
    auto_scaling_max_capacity = 2
  }
  expect_failures = [output.endpoint_name]
}

run "target_below_10" {
  command = plan
  variables { auto_scaling_target_gpu_utilization = 5 }
  expect_failures = [var.auto_scaling_target_gpu_utilization]
}

run "target_above_90" {
  command = plan
  variables { auto_scaling_target_gpu_utilization = 95 }
  expect_failures = [var.auto_scaling_target_gpu_utilization]
}

run "cooldown_above_3600" {
  command = plan
  variables { auto_scaling_scale_in_cooldown = 3601 }
  expect_failures = [var.auto_scaling_scale_in_cooldown]
}

run "bad_bucket_name" {
  command = plan
  variables { s3_bucket_name = "Not_A_Bucket" }
  expect_failures = [var.s3_bucket_name]
}

run "shim_stack_name_is_a_valid_stack_name" {
  # CloudFormation stack names: a letter, then letters, digits and hyphens (128 at most).
  command = plan
  variables { endpoint_name = "1st-whisper-endpoint" }
  assert {
    condition     = output.shim_stack_name == "lca-shim-1st-whisper-endpoint" && can(regex("^[a-zA-Z][-a-zA-Z0-9]{0,127}$", output.shim_stack_name))
    error_message = "a stack name must start with a letter: ${output.shim_stack_name}"
  }
}

run "shim_stack_name_follows_the_endpoint" {
  command = plan
  variables { endpoint_name = "whisper-endpoint-mylca" }
  assert {
    condition     = output.shim_stack_name == "whisper-endpoint-mylca-lca-shim"
    error_message = "the shim stack is named after its endpoint"
  }
}
