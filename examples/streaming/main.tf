# A streaming endpoint: the Whisper endpoint LCA calls with InvokeEndpoint, also answering
# InvokeEndpointWithBidirectionalStream (live transcription over one HTTP/2 stream, Deepgram's
# live protocol), because it runs the serving image (serving_image/, built once per DLC version).

provider "aws" {
  region = var.region
}

locals {
  tags = { Example = "streaming", Project = "whisper-sagemaker" }
}

module "whisper" {
  source = "../../modules/whisper_sagemaker"

  name          = var.endpoint_name
  model_size    = var.model_size
  instance_type = var.instance_type

  # The serving image: the DLC plus our entrypoint and SageMaker's streaming label
  # (python -m serving_image build; see serving_image/README.md).
  streaming = true
  image_uri = var.image_uri

  # A stream holds its instance for the whole call: scale on GPU utilisation as for requests,
  # with room for a second instance.
  autoscaling = {
    min_capacity = 1
    max_capacity = 2
  }

  # Built by `python -m builder` from the repository root when null (Python 3.10+ with the
  # project installed on the machine running Terraform), as in examples/standalone.
  model_data_url = var.model_data_url

  tags = local.tags
}

# What an application needs to stream to this endpoint and nothing more: attach it to the
# application's role (LCA-style callers keep their sagemaker:InvokeEndpoint grant as well).
resource "aws_iam_policy" "stream" {
  name_prefix = "${var.endpoint_name}-stream-"
  description = "Stream audio to the ${var.endpoint_name} Whisper endpoint (InvokeEndpointWithBidirectionalStream)."
  policy      = module.whisper.streaming_invoke_policy_json
  tags        = local.tags
}
