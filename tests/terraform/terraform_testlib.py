"""Helpers for the Terraform tests: paths, the OpenTofu runner and a provider-free harness root."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
MODULE = REPO / "modules" / "whisper_sagemaker"
LCA_MODULE = MODULE / "modules" / "lca"
TOFU = REPO / "scripts" / "tofu"


def cache_root() -> Path:
    env = os.environ.get("WHISPER_SAGEMAKER_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "whisper-sagemaker"


@dataclass(frozen=True)
class Tofu:
    """Runs ``scripts/tofu`` (OpenTofu with the offline CLI config)."""

    def run(self, *args: str, cwd: Path | None = None, check: bool = True) -> subprocess.CompletedProcess:
        env = dict(os.environ, TF_IN_AUTOMATION="1", NO_COLOR="1")
        proc = subprocess.run([str(TOFU), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
        if check and proc.returncode != 0:
            raise AssertionError(f"tofu {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
        return proc

    def outputs(self, cwd: Path) -> dict:
        return {k: v["value"] for k, v in json.loads(self.run("output", "-json", cwd=cwd).stdout).items()}


def lca_harness(tmp: Path, tofu: Tofu, **values) -> Path:
    """A throw-away root that calls modules/lca with ``values`` and exposes its outputs, initialised."""
    args = "\n".join(f"  {k} = {json.dumps(v)}" for k, v in values.items())
    (tmp / "main.tf").write_text(
        f'module "lca" {{\n  source = "{LCA_MODULE}"\n{args}\n}}\n'
        'output "shim_template_body" {\n  value = module.lca.shim_template_body\n}\n'
        'output "shim_outputs" {\n  value = module.lca.shim_outputs\n}\n'
        'output "parameters" {\n  value = module.lca.parameters\n}\n'
    )
    tofu.run("init", "-input=false", cwd=tmp)
    return tmp
