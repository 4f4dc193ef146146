"""The serving image for bidirectional streaming: the Deep Learning Container plus our entrypoint and
SageMaker's streaming label (``spec.py``), built with crane (``python -m serving_image build``) or
Docker (``Dockerfile``)."""
