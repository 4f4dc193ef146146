"""Whisper (faster-whisper / CTranslate2) behind SageMaker's inference contract.

``handler`` holds the SageMaker hooks, ``server`` the local HTTP endpoint. The builder
ships this package as ``code/whisper_inference/``, so modules import each other
relatively and never by the name ``inference``.
"""
