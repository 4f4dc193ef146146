# The one place that knows where the serving image lives: the AWS Deep Learning
# Containers registry account of each region (Hugging Face PyTorch inference,
# CUDA 12.4 + cuDNN 9, which ctranslate2 >= 4.5 needs). Regions not listed here
# use 763104351884; opt-in regions and partitions have their own accounts.
#
# Source (checked 2026-11): aws/sagemaker-python-sdk
# sagemaker-core/src/sagemaker/core/image_uri_config/huggingface.json, inference
# 4.49.0 / pytorch2.6.0 ("registries"; py312; gpu container_version cu124-ubuntu22.04;
# repository huggingface-pytorch-inference); the tag is built as in that SDK's
# image_uris.py: "<pytorch>-transformers<version>-gpu-<py>-<container_version>".
locals {
  dlc_registry_accounts = {
    "af-south-1"     = "626614931356"
    "ap-east-1"      = "871362719292"
    "ap-northeast-3" = "364406365360"
    "ap-south-2"     = "772153158452"
    "ap-southeast-3" = "907027046896"
    "ap-southeast-4" = "457447274322"
    "ca-west-1"      = "204538143572"
    "cn-north-1"     = "727897471807"
    "cn-northwest-1" = "727897471807"
    "eu-central-2"   = "380420809688"
    "eu-south-1"     = "692866216735"
    "eu-south-2"     = "503227376785"
    "il-central-1"   = "780543022126"
    "me-central-1"   = "914824155844"
    "me-south-1"     = "217643126080"
    "us-gov-east-1"  = "446045086412"
    "us-gov-west-1"  = "442386744353"
    "us-iso-east-1"  = "886529160074"
    "us-isob-east-1" = "094389454867"
  }
  dlc_default_account = "763104351884"
  dlc_repository      = "huggingface-pytorch-inference"

  # GPUs per instance, to turn the summed GPUUtilization (0-100 per GPU) into an
  # average per GPU. Types not listed count 1; override with
  # autoscaling.gpu_count_per_instance_override.
  gpu_count_per_instance = {
    "ml.g4dn.xlarge"   = 1
    "ml.g4dn.2xlarge"  = 1
    "ml.g4dn.4xlarge"  = 1
    "ml.g4dn.8xlarge"  = 1
    "ml.g4dn.16xlarge" = 1
    "ml.g4dn.12xlarge" = 4
    "ml.g5.xlarge"     = 1
    "ml.g5.2xlarge"    = 1
    "ml.g5.4xlarge"    = 1
    "ml.g5.8xlarge"    = 1
    "ml.g5.16xlarge"   = 1
    "ml.g5.12xlarge"   = 4
    "ml.g5.24xlarge"   = 4
    "ml.g5.48xlarge"   = 8
    "ml.g6.xlarge"     = 1
    "ml.g6.2xlarge"    = 1
    "ml.g6.4xlarge"    = 1
    "ml.g6.8xlarge"    = 1
    "ml.g6.16xlarge"   = 1
    "ml.g6.12xlarge"   = 4
    "ml.g6.24xlarge"   = 4
    "ml.g6.48xlarge"   = 8
    "ml.p3.2xlarge"    = 1
    "ml.p3.8xlarge"    = 4
    "ml.p3.16xlarge"   = 8
  }

  # Instance families with local NVMe instance storage: SageMaker rejects both
  # VolumeSizeInGB and KmsKeyId on their endpoint configurations.
  nvme_instance_families = ["c5d", "g4dn", "g5", "g6", "g6e", "m5d", "p4d", "p4de", "p5", "r5d"]
}
