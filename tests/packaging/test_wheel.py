"""The wheel works on its own: built from the checkout, installed into a fresh virtual
environment, and run from a directory that is not the checkout.

Offline and quick: the wheel is built without build isolation (the test environment's
setuptools), installed with ``--no-deps``, and the fresh environment borrows the test
environment's third-party packages through a ``.pth`` line. That path line does not run
the checkout's editable-install hook, so every project import below resolves to the
installed wheel; the first test proves it.
"""

from __future__ import annotations

import ast
import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("builder", "inference", "replay", "demo", "client", "serving_image", "local_runtime")


def _run(argv: list[str], cwd: Path, timeout: int = 120) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the wheel from a copy of the working tree's files (tracked and new, not ignored)."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                            capture_output=True, check=True).stdout.decode().split("\0")
    source = tmp_path_factory.mktemp("source")
    for name in filter(None, listed):
        if (REPO / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, source / name)
    out = tmp_path_factory.mktemp("dist")
    proc = _run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), str(source)],
                cwd=out, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    (built,) = out.glob("whisper_sagemaker-*.whl")
    return built


@pytest.fixture(scope="module")
def fresh(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new virtual environment with only the wheel installed (its bin directory)."""
    root = tmp_path_factory.mktemp("fresh-venv")
    venv.create(root, with_pip=False, symlinks=True)
    python = root / "bin" / "python"
    purelib = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                        cwd=root).stdout.strip())
    (purelib / "borrowed-test-deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    proc = _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index",
                 "--quiet", str(wheel)], cwd=root, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return root / "bin"


@pytest.fixture(scope="module")
def elsewhere(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A working directory with no checkout in it or above it."""
    return tmp_path_factory.mktemp("elsewhere")


def test_the_project_imports_come_from_the_wheel(fresh, elsewhere):
    proc = _run([str(fresh / "python"), "-c", f"import json, {', '.join(PACKAGES)}; print(json.dumps("
                 f"[m.__file__ for m in ({', '.join(PACKAGES)})]))"], cwd=elsewhere)
    assert proc.returncode == 0, proc.stderr
    for path in json.loads(proc.stdout):
        assert Path(path).is_relative_to(fresh.parent), path
        assert not Path(path).is_relative_to(REPO), path


def test_the_wheel_carries_builders_data(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    for data in ("builder/wheels.lock", "builder/runtime-requirements.in"):
        assert data in names
    tracked_json = [p.relative_to(REPO).as_posix() for p in (REPO / "builder").rglob("*.json")]
    assert set(tracked_json) <= set(names)
    assert not [n for n in names if n.startswith(("bench/", "tests/", "scripts/"))]


def test_list_models_and_plan_run_offline_from_the_wheel(fresh, elsewhere):
    listed = _run([str(fresh / "python"), "-m", "builder", "list-models"], cwd=elsewhere)
    assert listed.returncode == 0, listed.stderr
    assert "tiny.en" in listed.stdout and "large-v2" in listed.stdout
    plan = _run([str(fresh / "python"), "-m", "builder", "plan", "--model-size", "tiny.en"], cwd=elsewhere)
    assert plan.returncode == 0, plan.stderr
    assert re.search(r"\b[0-9a-f]{16,64}\b", plan.stdout), plan.stdout
    # The installed copy and the checkout plan the same artifact.
    here = _run([sys.executable, "-m", "builder", "plan", "--model-size", "tiny.en"], cwd=REPO)
    assert here.returncode == 0 and here.stdout == plan.stdout, (here.stderr, here.stdout, plan.stdout)


@pytest.mark.parametrize(("module", "script", "argv", "expect"), [
    ("inference", "whisper-inference", ["serve", "--help"], "--model-dir"),
    ("replay", "whisper-replay", ["--help"], "--endpoint-name"),
    ("demo", "whisper-demo", ["--help"], "--quick"),
    ("builder", "whisper-builder", ["--help"], "plan"),
    ("client", "whisper-transcribe", ["transcribe", "--help"], "--endpoint-name"),
    ("serving_image", "whisper-serving-image", ["build", "--help"], "--base"),
])
def test_each_cli_starts_from_the_wheel(fresh, elsewhere, module, script, argv, expect):
    for command in ([str(fresh / "python"), "-m", module, *argv], [str(fresh / script), *argv]):
        proc = _run(command, cwd=elsewhere)
        assert proc.returncode == 0, (command, proc.stderr[-2000:])
        assert expect in proc.stdout, (command, proc.stdout)


def test_the_demo_outside_a_clone_says_what_it_needs(fresh, elsewhere):
    proc = _run([str(fresh / "python"), "-m", "demo", "--quick"], cwd=elsewhere)
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.startswith("ERROR: ") and "clone" in proc.stderr, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_the_installed_demo_deploys_the_clone_it_runs_in(fresh, elsewhere):
    # -I: the current directory is not put on sys.path, so the wheel's demo is the one asked.
    probe = "from demo import checkout, deploy; print(checkout.__file__); print(deploy.REPO)"
    inside = _run([str(fresh / "python"), "-I", "-c", probe], cwd=REPO)
    assert inside.returncode == 0, inside.stderr
    module, repo = inside.stdout.split()
    assert Path(module).is_relative_to(fresh.parent) and Path(repo) == REPO
    outside = _run([str(fresh / "python"), "-I", "-c", "from demo.checkout import checkout_root; "
                    "print(checkout_root())"], cwd=elsewhere)
    assert outside.stdout.strip() == "None", outside.stderr


def _third_party_imports(package: Path) -> set[str]:
    names = set()
    for path in package.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return names - set(sys.stdlib_module_names) - set(PACKAGES) - {"__future__"}


# Imported only where the code says they are optional or provided by the host
# (the SageMaker toolkits in the container, pytest's plugins never at run time).
OPTIONAL_IMPORTS = {"sagemaker_inference", "sagemaker_huggingface_inference_toolkit", "torch", "nvidia",
                    # local_runtime's server (the demo and test extras declare them) and its caller,
                    # which runs in the callers' environment (the clients extra)
                    "hypercorn", "cryptography", "aws_sdk_sagemaker_runtime_http2", "smithy_aws_core",
                    "smithy_http", "awscrt"}


def test_the_wheel_declares_what_replay_demo_builder_and_inference_import(wheel):
    with zipfile.ZipFile(wheel) as archive:
        metadata = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        requires = [line.split(":", 1)[1].strip() for line in archive.read(metadata).decode().splitlines()
                    if line.startswith("Requires-Dist:") and "extra ==" not in line]
    declared = {re.split(r"[\s<>=!~;\[(]", r, maxsplit=1)[0].lower().replace("_", "-") for r in requires}
    providers = importlib.metadata.packages_distributions()
    missing = {}
    for package in PACKAGES:
        for module in _third_party_imports(REPO / package) - OPTIONAL_IMPORTS:
            dists = {d.lower().replace("_", "-") for d in providers.get(module, [module])}
            if not dists & declared:
                missing.setdefault(package, set()).add(module)
    assert missing == {}
