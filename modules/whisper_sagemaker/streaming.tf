# Bidirectional streaming (InvokeEndpointWithBidirectionalStream). No SageMaker argument turns it
# on: SageMaker's sidecar opens a WebSocket to the container only when the image carries the
# label below, and a caller needs the IAM action below on the endpoint. So the module's part is
# the image (var.image_uri: the serving image, checked by the model's preconditions), the
# container environment (main.tf: no DLC toolkit settings) and what callers need (outputs).
# Request/response (/invocations, LCA's InvokeEndpoint) is served by the same container.
locals {
  streaming_label  = "com.amazonaws.sagemaker.capabilities.bidirectional-streaming"
  streaming_action = "sagemaker:InvokeEndpointWithBidirectionalStream"

  # The Deep Learning Container itself (a DLC registry account's huggingface-pytorch-inference)
  # has no streaming label: streaming with it would deploy an endpoint that never streams.
  image_is_dlc = (local.image_parts[2] == local.dlc_repository &&
  contains(concat([local.dlc_default_account], values(local.dlc_registry_accounts)), local.image_parts[0]))

  streaming = local.create && var.streaming

  # The caller's side: the SageMaker Runtime HTTP/2 service (sagemaker-runtime-http2 in the AWS
  # SDKs, SigV4 signing name "sagemaker"), and the container paths the server answers on
  # (ModelInvocationPath, no leading slash: SageMaker's sidecar adds it).
  streaming_invocation = local.streaming ? {
    endpoint_name          = var.name
    operation              = "InvokeEndpointWithBidirectionalStream"
    iam_action             = local.streaming_action
    signing_name           = "sagemaker"
    url                    = "https://runtime.sagemaker.${local.region}.${local.dns}:8443/endpoints/${var.name}/invocations-bidirectional-stream"
    model_invocation_paths = ["invocations-bidirectional-stream", "v1/listen"]
    model_query_string     = "model=whisper&encoding=linear16&sample_rate=16000&interim_results=true"
    protocol               = "Deepgram live: binary audio frames and KeepAlive/Finalize/CloseStream text frames in; Results, UtteranceEnd and a closing Metadata out"
  } : null
}
