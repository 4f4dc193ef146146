"""A real OCI registry (Debian's ``docker-registry``, CNCF distribution) on a free port, and crane.

Both are installed by ``scripts/setup.sh test``; missing, they fail the tests loudly.
"""

from __future__ import annotations

import shutil
import tarfile
import time
import urllib.error
import urllib.request

import pytest
from image_testlib import BASE_CONFIG, crane

from demo.processes import Child, free_port


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory):
    """Yields the registry's host:port (plain HTTP on 127.0.0.1, which crane allows without --insecure)."""
    binary = shutil.which("docker-registry") or shutil.which("registry")
    if binary is None:
        pytest.fail("docker-registry not found: run scripts/setup.sh test (it installs Debian's docker-registry)")
    root = tmp_path_factory.mktemp("registry")
    port = free_port()
    config = root / "config.yml"
    config.write_text(f"version: 0.1\nlog:\n  level: warn\n"
                      f"storage:\n  filesystem:\n    rootdirectory: {root / 'data'}\n"
                      f"http:\n  addr: 127.0.0.1:{port}\n")
    server = Child("docker-registry", [binary, "serve", str(config)], root / "registry.log")
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/v2/", timeout=2) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError):
                if server.proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"docker-registry did not start; its log ends:\n{server.log_tail()}")
                time.sleep(0.1)
        yield f"127.0.0.1:{port}"
    finally:
        server.stop()



@pytest.fixture(scope="session")
def base_image(registry: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A small stand-in for the Deep Learning Container, pushed to the registry: one layer (a file
    tree made here; the real DLC cannot be pulled offline), Docker media types as the DLC's, and a
    config with its own environment, label, entrypoint and command for the build to keep or replace."""
    root = tmp_path_factory.mktemp("base")
    (root / "etc").mkdir()
    (root / "etc" / "dlc-release").write_text("a stand-in for the Hugging Face PyTorch inference DLC\n")
    with tarfile.open(root / "rootfs.tar", "w") as tar:
        tar.add(root / "etc", arcname="etc")
    reference = f"{registry}/dlc:base"
    crane("append", "--new_layer", str(root / "rootfs.tar"), "--new_tag", reference)
    mutate = ["mutate", reference, "--tag", reference, "--entrypoint", ",".join(BASE_CONFIG["Entrypoint"]),
              "--cmd", ",".join(BASE_CONFIG["Cmd"])]
    for key, value in BASE_CONFIG["Labels"].items():
        mutate += ["--label", f"{key}={value}"]
    for line in BASE_CONFIG["Env"]:
        mutate += ["--env", line]
    crane(*mutate)
    return reference
