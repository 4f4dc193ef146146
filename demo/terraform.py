"""OpenTofu / Terraform for the demo and the tests: the CLI runner, a pinned copy of the HCL,
and a throw-away root around modules/lca.

Both CLIs run through their wrappers (``scripts/tofu``, ``scripts/terraform``), which install
providers from the local mirror. Nothing is initialised inside the clone: ``terraform_copy``
makes a copy whose ``*_override.tf`` files pin hashicorp/aws to the provider the mirror holds,
so the modules keep the constraint their users need.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from builder.cache import cache_root
from demo.checkout import checkout_root

REPO = checkout_root() or Path(__file__).resolve().parent.parent
LCA_MODULE = REPO / "modules" / "whisper_sagemaker" / "modules" / "lca"
CLIS = ("tofu", "terraform")

# Copied: the Terraform sources, and what the module hashes and runs to build the artifact (a
# snapshot, so edits to the clone during an apply cannot change the content key half-way).
# The rest of the repository is symlinked into the copy.
HCL_DIRS = ("modules", "examples")
COPIED_DIRS = (*HCL_DIRS, "builder", "inference")
OVERRIDE_FILE = "versions_override.tf"
LOCAL_AWS_OVERRIDE_FILE = "local_aws_override.tf"
# Every service a root of ours calls (the module, the examples' VPC, keys, topics and the shim stack).
LOCAL_AWS_SERVICES = ("applicationautoscaling", "cloudformation", "cloudwatch", "ec2", "ecr", "iam", "kms", "s3",
                      "sagemaker", "sns", "sts")
ANSI = re.compile(r"\x1b\[[0-9;]*m")


class TerraformError(RuntimeError):
    """A CLI run failed; the message holds the command and its output."""


def provider_mirror() -> Path:
    return cache_root() / "toolchain" / "providers"


@dataclass(frozen=True)
class Cli:
    """Runs ``scripts/<name>``: OpenTofu (``tofu``) or HashiCorp Terraform (``terraform``)."""

    name: str = "tofu"

    @property
    def script(self) -> Path:
        return REPO / "scripts" / self.name

    def run(self, *args: str, cwd: Path | None = None, check: bool = True, env: dict | None = None,
            timeout: int = 300) -> subprocess.CompletedProcess:
        """Run the CLI; raises TerraformError when ``check`` and it fails. ``env`` adds to the
        environment; a value of None removes that variable."""
        merged = dict(os.environ, TF_IN_AUTOMATION="1", NO_COLOR="1", **(env or {}))
        # hashicorp/aws starts for every validate, plan, apply and `test` run, and most of its
        # start-up is Go collecting the garbage of its schema: collecting at 5x the live heap
        # (Go's default is 2x) costs ~80 MB a provider and saves a fifth of its CPU (measured
        # on validate and `test`). A GOGC of the caller's own is kept.
        merged.setdefault("GOGC", "400")
        full_env = {k: v for k, v in merged.items() if v is not None}
        proc = subprocess.run([str(self.script), *args], cwd=cwd, env=full_env, capture_output=True, text=True,
                              timeout=timeout)
        # Terraform ignores NO_COLOR, and -no-color is not accepted by every subcommand.
        proc.stdout, proc.stderr = ANSI.sub("", proc.stdout), ANSI.sub("", proc.stderr)
        if check and proc.returncode != 0:
            raise TerraformError(f"{self.name} {' '.join(args)} failed ({proc.returncode}):\n"
                                 f"{proc.stdout}\n{proc.stderr}")
        return proc

    def init(self, root: Path) -> None:
        self.run("init", "-input=false", "-backend=false", cwd=root)

    def outputs(self, cwd: Path, *args: str) -> dict:
        """``output -json`` as {name: value}."""
        proc = self.run("output", "-json", *args, cwd=cwd)
        return {k: v["value"] for k, v in json.loads(proc.stdout).items()}


def local_aws_provider_version(cli: Cli | None = None) -> str:
    """Newest hashicorp/aws version in the mirror (the wrappers link it there on every run).

    Raises:
        TerraformError: the mirror holds none.
    """
    (cli or Cli("terraform")).run("version")
    found = [p.name for p in (provider_mirror() / "registry.terraform.io" / "hashicorp" / "aws").glob("*")
             if any(p.glob("*/terraform-provider-aws*"))]
    if not found:
        raise TerraformError(f"no hashicorp/aws provider in {provider_mirror()}: see scripts/terraform_cli.sh")
    return max(found, key=lambda v: tuple(int(x) for x in re.findall(r"\d+", v)))


def terraform_copy(dest: Path, aws_version: str | None = None) -> Path:
    """Copy the repository's HCL to ``dest`` and pin hashicorp/aws to ``aws_version``.

    Root ``*.tf``, ``modules/``, ``examples/``, ``builder/`` and ``inference/`` are copied; every
    other top-level entry is symlinked, so the module finds the builder (``path.module/../..``)
    and the handler it hashes in the copy. Each directory whose
    ``versions.tf`` requires hashicorp/aws gets ``versions_override.tf`` (default: the mirror's
    version), which replaces the module's constraint for this copy only. With no local
    provider and no ``aws_version``, nothing is pinned: the registry supplies the constraint's
    newest release.
    """
    dest.mkdir(parents=True, exist_ok=True)
    for entry in REPO.iterdir():
        if entry.name.startswith(".") or entry.name in COPIED_DIRS or entry.suffix == ".tf":
            continue
        (dest / entry.name).symlink_to(entry)
    for name in COPIED_DIRS:
        shutil.copytree(REPO / name, dest / name,
                        ignore=shutil.ignore_patterns(".terraform*", "*.tfstate*", "__pycache__"))
    for tf in REPO.glob("*.tf"):
        shutil.copy2(tf, dest / tf.name)
    try:
        version = aws_version or local_aws_provider_version()
    except TerraformError:
        return dest  # no local provider: init takes what versions.tf asks for from the registry
    for versions in dest.rglob("versions.tf"):
        if "hashicorp/aws" in versions.read_text():
            (versions.parent / OVERRIDE_FILE).write_text(
                "# Written by demo.terraform: the provider the local mirror holds.\n"
                "terraform {\n  required_providers {\n"
                f'    aws = {{\n      source  = "hashicorp/aws"\n      version = "{version}"\n    }}\n'
                "  }\n}\n")
    return dest


def point_at_local_aws(root: Path, aws_url: str, region: str = "us-east-1") -> Path:
    """Write ``root/local_aws_override.tf``: the root's ``provider "aws"`` sends every call to ``aws_url``.

    Terraform merges an ``*_override.tf`` file into the root's own provider block, so the roots
    users apply carry no test wiring: only a copy that the demo or a test applies against the
    local AWS (moto) gets this file. Returns the file written.
    """
    width = max(map(len, LOCAL_AWS_SERVICES))  # aligned as `fmt` aligns them
    endpoints = "\n".join(f"    {service:<{width}} = {json.dumps(aws_url)}" for service in LOCAL_AWS_SERVICES)
    path = root / LOCAL_AWS_OVERRIDE_FILE
    path.write_text(
        "# Written by demo.terraform: every AWS call goes to the local AWS (moto).\n"
        f'provider "aws" {{\n  region                      = {json.dumps(region)}\n'
        "  skip_credentials_validation = true\n  s3_use_path_style           = true\n"
        f"  max_retries                 = 2\n  endpoints {{\n{endpoints}\n  }}\n}}\n")
    return path


def lca_root(dest: Path, cli: Cli, **values) -> Path:
    """A throw-away root calling modules/lca with ``values`` and exposing its outputs, initialised.

    modules/lca needs no provider, so this works before any hashicorp/aws is installed.
    """
    dest.mkdir(parents=True, exist_ok=True)
    args = "\n".join(f"  {k} = {json.dumps(v)}" for k, v in values.items())
    (dest / "main.tf").write_text(
        f'module "lca" {{\n  source = {json.dumps(str(LCA_MODULE))}\n{args}\n}}\n'
        'output "shim_template_body" {\n  value = module.lca.shim_template_body\n}\n'
        'output "shim_outputs" {\n  value = module.lca.shim_outputs\n}\n'
        'output "parameters" {\n  value = module.lca.parameters\n}\n'
    )
    cli.init(dest)
    return dest
