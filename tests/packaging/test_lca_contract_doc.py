"""The contract document reads as the tests expect: 11 parameters, 9 outputs, LCA's sizes."""

from __future__ import annotations

import lca_contract


def test_the_document_lists_lcas_11_parameters_and_9_outputs():
    params = lca_contract.parameters()
    assert len(params) == 11
    assert params["WhisperModelSize"].default == "large-v2"
    assert lca_contract.model_sizes()[:2] == ["tiny", "tiny.en"] and len(lca_contract.model_sizes()) == 12
    assert params["SageMakerInstanceType"].choices[-1] == "ml.g5.4xlarge"
    assert params["SageMakerInstanceCount"].bounds == (1, 3) and params["SageMakerInstanceCount"].default == "1"
    assert params["EnableAutoScaling"].choices == ("true", "false") and params["EnableAutoScaling"].default == "true"
    assert params["S3BucketName"].default == "" and params["S3BucketName"].choices is None
    assert params["AutoScalingScaleInCooldown"].bounds == (0, 3600)
    outputs = lca_contract.outputs()
    assert len(outputs) == 9 and outputs[0] == "WhisperSageMakerEndpointName"
