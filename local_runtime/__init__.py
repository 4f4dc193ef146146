"""A local stand-in for SageMaker's runtime in front of a streaming container.

``python -m local_runtime`` answers ``InvokeEndpointWithBidirectionalStream`` (the
``sagemaker-runtime-http2`` service) as AWS does, over HTTP/2 and TLS with AWS event-stream
framing, and forwards each session to the container's WebSocket route as SageMaker's sidecar
does: ``eventstream`` is the wire codec, ``frames`` the contract between payload parts and
WebSocket frames, ``bridge`` one session, ``app`` the HTTP API and its errors, ``tls`` the
self-signed certificate, and ``aws_caller`` a caller that uses AWS's own client.
"""
