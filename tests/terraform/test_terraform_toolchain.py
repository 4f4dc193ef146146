"""scripts/tofu and scripts/terraform: the pinned CLIs, one provider mirror for both, offline init.

The wrappers share scripts/terraform_cli.sh; the environment-variable cases run through
scripts/terraform (no build needed for a throw-away cache), the offline inits through both.
"""

from __future__ import annotations

import http.server
import os
import re
import socket
import subprocess
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from terraform_testlib import REPO, TOFU, Cli, cache_root, local_aws_provider_version, provider_mirror

AWS_ONLY = 'terraform {\n  required_providers {\n    aws = { source = "hashicorp/aws" }\n  }\n}\n'
HOSTS = ("registry.terraform.io", "registry.opentofu.org")


def test_tofu_reports_the_pinned_release(tofu: Cli) -> None:
    out = tofu.run("version").stdout
    assert out.splitlines()[0] == "OpenTofu v1.12.6"


def test_terraform_is_hashicorps_with_mock_providers(terraform: Cli) -> None:
    first = terraform.run("version").stdout.splitlines()[0]
    match = re.fullmatch(r"Terraform v(\d+)\.(\d+)\.(\d+)", first)
    assert match, first
    assert tuple(map(int, match.groups()[:2])) >= (1, 7), f"{first}: `terraform test` mocks need >= 1.7"


def test_warm_tofu_run_needs_no_go_toolchain(tofu: Cli, tmp_path: Path) -> None:
    # A rebuild would need Go: with none reachable, a warm run must still work.
    env = {"HOME": os.environ["HOME"], "PATH": "/usr/bin:/bin", "GO": str(tmp_path / "no-go"),
           "WHISPER_SAGEMAKER_CACHE": str(cache_root())}
    proc = subprocess.run([str(TOFU), "version"], env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "building" not in proc.stderr


def _local_aws_versions() -> list[str]:
    """hashicorp/aws versions the wrappers linked into the mirror from this machine's plugin dirs."""
    return [p.parent.parent.name for p in
            (provider_mirror() / "registry.terraform.io" / "hashicorp" / "aws").glob("*/*/terraform-provider-aws*")]


def test_init_installs_the_machines_provider(cli: Cli, tmp_path: Path) -> None:
    """A local hashicorp/aws: offline, from the mirror, linked under both hosts. None: the registry."""
    (tmp_path / "main.tf").write_text(AWS_ONLY)
    proc = cli.run("init", "-input=false", "-backend=false", cwd=tmp_path)
    config = (cache_root() / "toolchain" / f"{cli.name}rc").read_text()
    host = "registry.opentofu.org" if cli.name == "tofu" else "registry.terraform.io"
    assert f'provider "{host}/hashicorp/aws"' in (tmp_path / ".terraform.lock.hcl").read_text()
    if not _local_aws_versions():  # a machine with registry access and no provider of its own
        assert "direct {}" in config and "filesystem_mirror" not in config
        assert f'plugin_cache_dir = "{cache_root() / "toolchain" / "plugin-cache"}"' in config
        assert "Installed hashicorp/aws v" in proc.stdout, proc.stdout
        return
    assert "filesystem_mirror" in config and "direct" not in config and "network_mirror" not in config
    assert "plugin_cache_dir" not in config  # shared state that concurrent inits race on, for nothing
    assert f'path = "{provider_mirror()}"' in config
    assert f"Installed hashicorp/aws v{local_aws_provider_version()}" in proc.stdout, proc.stdout
    for version in _local_aws_versions():
        for mirror_host in HOSTS:
            found = list((provider_mirror() / mirror_host / "hashicorp/aws" / version).glob("*/terraform-provider-*"))
            assert found and all(p.is_symlink() and os.access(p.resolve(), os.X_OK) for p in found), mirror_host


def test_concurrent_inits_each_link_the_mirror(cli: Cli, tmp_path: Path) -> None:
    """Roots initialised at once (as the apply tests do) all succeed, and each links its provider
    straight to the mirror: no shared plugin cache for one init to replace under another."""
    if not _local_aws_versions():
        pytest.fail("no local hashicorp/aws: this checks installs from the mirror")
    roots = [tmp_path / f"root{i}" for i in range(6)]
    for root in roots:
        root.mkdir()
        (root / "main.tf").write_text(AWS_ONLY)
    with ThreadPoolExecutor(len(roots)) as pool:
        procs = list(pool.map(lambda root: cli.run("init", "-input=false", "-backend=false", cwd=root,
                                                   check=False), roots))
    assert [p.returncode for p in procs] == [0] * len(roots), [p.stderr for p in procs if p.returncode]
    host = "registry.opentofu.org" if cli.name == "tofu" else "registry.terraform.io"
    for root in roots:
        [package] = [p for p in (root / ".terraform/providers" / host / "hashicorp/aws").glob("*/*")
                     if p.suffix != ".lock"]  # OpenTofu's lock beside the package
        assert package.is_symlink()
        assert Path(os.readlink(package)).is_relative_to(provider_mirror()), os.readlink(package)


def test_missing_provider_fails_init_without_touching_a_registry(tofu: Cli, tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        'terraform {\n  required_providers {\n    nothere = { source = "example/nothere" }\n  }\n}\n')
    # a registry that does not answer: with or without a local aws provider, only the mirror is used
    proc = tofu.run("init", "-input=false", cwd=tmp_path, check=False,
                    env={"WHISPER_SAGEMAKER_REGISTRY_URL": _closed_port()})
    assert proc.returncode != 0
    assert "example/nothere" in proc.stderr and "registry.opentofu.org" in proc.stderr
    # the mirror is the only source consulted: the error names it, not a registry lookup
    assert str(provider_mirror()) in proc.stderr or "mirror" in proc.stderr


def test_provider_free_module_inits_offline(tofu: Cli, tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        f'module "lca" {{\n  source = "{REPO / "modules/whisper_sagemaker/modules/lca"}"\n}}\n')
    proc = tofu.run("init", "-input=false", "-backend=false", cwd=tmp_path)
    assert "has been successfully initialized" in proc.stdout


################################################################################
# Where the provider comes from (scripts/terraform on a throw-away cache)
################################################################################

def _isolated(tmp_path: Path, mirror: Path, registry: str) -> dict[str, str]:
    return {"WHISPER_SAGEMAKER_CACHE": str(tmp_path / "cache"), "WHISPER_SAGEMAKER_PROVIDER_MIRROR": str(mirror),
            "WHISPER_SAGEMAKER_REGISTRY_URL": registry}


def _closed_port() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


@pytest.fixture
def fake_registry(tmp_path: Path) -> Iterator[str]:
    """A local server answering the registry's discovery document, as a reachable registry does."""
    (tmp_path / "www" / ".well-known").mkdir(parents=True)
    (tmp_path / "www" / ".well-known" / "terraform.json").write_text('{"providers.v1": "/v1/providers/"}')

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), lambda *a: Quiet(*a, directory=str(tmp_path / "www")))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_mirror_variable_names_the_provider_source(terraform: Cli, tmp_path: Path) -> None:
    binary = tmp_path / "src" / "registry.terraform.io/hashicorp/aws/9.9.9/linux_amd64/terraform-provider-aws_v9.9.9_x5"
    binary.parent.mkdir(parents=True)
    binary.write_text("#!/bin/sh\n")
    binary.chmod(0o755)
    terraform.run("version", env=_isolated(tmp_path, tmp_path / "src", _closed_port()))
    for host in HOSTS:
        link = tmp_path / "cache/toolchain/providers" / host / "hashicorp/aws/9.9.9/linux_amd64" / binary.name
        assert link.is_symlink() and link.resolve() == binary, host
    assert "filesystem_mirror" in (tmp_path / "cache/toolchain/terraformrc").read_text()
    # the source goes away: so does its link
    binary.unlink()
    terraform.run("version", env=_isolated(tmp_path, tmp_path / "src", _closed_port()))
    assert not list((tmp_path / "cache/toolchain/providers").rglob("terraform-provider-aws*"))


def test_no_provider_and_no_registry_ends_with_one_clear_line(terraform: Cli, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "root").mkdir()
    (tmp_path / "root" / "main.tf").write_text(AWS_ONLY)
    proc = terraform.run("init", "-input=false", cwd=tmp_path / "root", check=False,
                         env=_isolated(tmp_path, tmp_path / "empty", _closed_port()))
    assert proc.returncode != 0
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("ERROR: no hashicorp/aws provider on this machine"), proc.stderr
    assert "WHISPER_SAGEMAKER_PROVIDER_MIRROR" in last and str(tmp_path / "empty") in last


def test_no_local_provider_falls_back_to_a_reachable_registry(terraform: Cli, tmp_path: Path,
                                                              fake_registry: str) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "root").mkdir()
    (tmp_path / "root" / "main.tf").write_text("")  # nothing to install: only the config matters
    terraform.run("init", "-input=false", cwd=tmp_path / "root",
                  env=_isolated(tmp_path, tmp_path / "empty", fake_registry))
    config = (tmp_path / "cache/toolchain/terraformrc").read_text()
    assert "direct {}" in config and "filesystem_mirror" not in config
    assert f'plugin_cache_dir = "{tmp_path / "cache/toolchain/plugin-cache"}"' in config


def test_copy_without_a_local_provider_keeps_the_modules_constraint(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """On a machine with only registry access the tests' copy pins nothing: init gets >= 6.21."""
    import demo.terraform as terraform_module

    def none_local(cli=None):
        raise terraform_module.TerraformError("no hashicorp/aws provider (simulated)")

    monkeypatch.setattr(terraform_module, "local_aws_provider_version", none_local)
    copy = terraform_module.terraform_copy(tmp_path / "repo")
    assert (copy / "versions.tf").is_file()
    assert not list(copy.rglob(terraform_module.OVERRIDE_FILE))
    pinned = terraform_module.terraform_copy(tmp_path / "pinned", "5.100.0")
    assert 'version = "5.100.0"' in (pinned / terraform_module.OVERRIDE_FILE).read_text()
