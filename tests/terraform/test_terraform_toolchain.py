"""scripts/tofu: the pinned OpenTofu, warm runs that never rebuild, an offline CLI config."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from terraform_testlib import REPO, TOFU, Tofu, cache_root


def test_reports_the_pinned_release(tofu: Tofu) -> None:
    out = tofu.run("version").stdout
    assert out.splitlines()[0] == "OpenTofu v1.12.6"


def test_warm_run_needs_no_go_toolchain(tofu: Tofu, tmp_path: Path) -> None:
    # A rebuild would need Go: with none reachable, a warm run must still work.
    env = {"HOME": os.environ["HOME"], "PATH": "/usr/bin:/bin", "GO": str(tmp_path / "no-go"),
           "WHISPER_SAGEMAKER_CACHE": str(cache_root())}
    proc = subprocess.run([str(TOFU), "version"], env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "building" not in proc.stderr


def test_cli_config_installs_providers_only_from_the_mirror(tofu: Tofu) -> None:
    tofu.run("version")
    config = (cache_root() / "toolchain" / "tofurc").read_text()
    assert "filesystem_mirror" in config and "direct" not in config and "network_mirror" not in config
    assert f'path = "{cache_root() / "toolchain" / "providers"}"' in config
    assert f'plugin_cache_dir = "{cache_root() / "toolchain" / "plugin-cache"}"' in config


def test_missing_provider_fails_init_without_touching_a_registry(tofu: Tofu, tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        'terraform {\n  required_providers {\n    nothere = { source = "example/nothere" }\n  }\n}\n')
    proc = tofu.run("init", "-input=false", cwd=tmp_path, check=False)
    assert proc.returncode != 0
    assert "example/nothere" in proc.stderr and "registry.opentofu.org" in proc.stderr
    # the mirror is the only source consulted: the error names it, not a registry lookup
    assert str(cache_root() / "toolchain" / "providers") in proc.stderr or "mirror" in proc.stderr


def test_provider_free_module_inits_offline(tofu: Tofu) -> None:
    proc = tofu.run("-chdir=" + str(REPO / "modules/whisper_sagemaker/modules/lca"), "init", "-input=false",
                    "-backend=false")
    assert "has been successfully initialized" in proc.stdout
