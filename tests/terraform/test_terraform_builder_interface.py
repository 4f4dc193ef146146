"""The module's one-step apply calls `python -m builder build`: check that what artifact.tf sends
is what the real builder CLI accepts, and that `plan` names the key layout the module computes."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from terraform_testlib import MODULE, REPO

ARTIFACT_TF = (MODULE / "artifact.tf").read_text()


def _plan(query: dict) -> dict:
    proc = subprocess.run([sys.executable, "-m", "builder", "plan", "--stdin"], input=json.dumps(query),
                          capture_output=True, text=True, cwd=REPO, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.mark.parametrize("layout,suffix", [("tar.gz", "model.tar.gz"), ("uncompressed", "model/")])
def test_plan_returns_the_keys_the_module_reads(layout: str, suffix: str) -> None:
    result = _plan({"model_size": "large-v2", "prefix": "whisper", "layout": layout, "wheels": "vendor"})
    assert all(isinstance(v, str) for v in result.values())
    assert re.fullmatch(r"[0-9a-f]{64}", result["content_key"])
    assert result["s3_key"] == f"whisper/{result['content_key']}/{suffix}"


def test_plan_key_changes_with_what_shapes_the_artifact() -> None:
    base = {"model_size": "large-v2", "prefix": "whisper", "layout": "tar.gz", "wheels": "vendor"}
    keys = {_plan(base)["content_key"], _plan(dict(base, model_size="large-v3"))["content_key"],
            _plan(dict(base, wheels="none"))["content_key"]}
    assert len(keys) == 3
    assert _plan(base)["content_key"] == _plan(dict(base))["content_key"]  # stable: no rebuild on re-plan


def test_build_command_flags_exist_in_the_builder_cli() -> None:
    command = re.search(r'provisioner "local-exec" \{(.*?)\n  \}', ARTIFACT_TF, re.S).group(1)
    flags = set(re.findall(r'"(--[a-z-]+)"', command))
    assert {"--model-size", "--output", "--bucket", "--prefix", "--layout", "--wheels"} <= flags
    help_text = subprocess.run([sys.executable, "-m", "builder", "build", "--help"], capture_output=True,
                               text=True, cwd=REPO, timeout=60, check=True).stdout
    missing = [f for f in flags if f not in help_text]
    assert not missing, f"artifact.tf passes flags the builder does not know: {missing}"
