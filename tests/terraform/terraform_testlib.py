"""Helpers for the Terraform tests: paths, and a copy of the HCL initialised once per CLI.

The CLI runner, the pinned copy of the HCL (``terraform_copy``) and the throw-away root around
modules/lca live in ``demo.terraform``, which the demo uses too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from builder.cache import cache_root as cache_root
from demo.terraform import CLIS as CLIS
from demo.terraform import Cli, lca_root
from demo.terraform import local_aws_provider_version as local_aws_provider_version
from demo.terraform import point_at_local_aws as point_at_local_aws
from demo.terraform import provider_mirror as provider_mirror
from demo.terraform import terraform_copy as terraform_copy

REPO = Path(__file__).resolve().parents[2]
MODULE = REPO / "modules" / "whisper_sagemaker"
LCA_MODULE = MODULE / "modules" / "lca"
TOFU = REPO / "scripts" / "tofu"

Tofu = Cli  # Tofu() runs scripts/tofu
lca_harness = lca_root


@dataclass
class HclCopy:
    """A ``terraform_copy`` for one CLI whose directories are initialised once, on first use."""

    cli: Cli
    root: Path
    _initialised: set[str] = field(default_factory=set)

    def dir(self, rel: str = ".") -> Path:
        """``root/rel``, initialised (``init -backend=false``) the first time it is asked for."""
        path = self.root / rel
        if rel not in self._initialised:
            self.cli.init(path)
            self._initialised.add(rel)
        return path
