# LCA's README "standalone" deployment of the Whisper endpoint, in Terraform: one
# endpoint, default model (large-v2) on ml.g5.2xlarge, built and uploaded during apply.

provider "aws" {
  region = var.region
}

module "whisper" {
  source = "../../modules/whisper_sagemaker"

  name          = var.endpoint_name
  model_size    = var.model_size
  instance_type = var.instance_type

  # The artifact is built by `python -m builder` from the repository root, so this
  # needs Python 3.10+ with the project installed (scripts/setup.sh) on the machine
  # running Terraform. Set model_data_url to deploy a prebuilt artifact instead.
  model_data_url = var.model_data_url
}
