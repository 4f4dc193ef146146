"""CUDA library preloading, in each layout an image can have, simulated on CPU.

The library directories are real temp dirs laid out like pip's NVIDIA wheels
(``site-packages/nvidia/cudnn/lib/libcudnn.so.9`` ...). ``FakeProcess`` plays glibc's
part: a name loads when it is on the loader's path or a loaded file has that name. One
test compiles real shared objects and lets the real ``dlopen`` do it.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from inference.cuda_libs import (
    CUBLAS,
    CUDNN,
    PRELOAD_ORDER,
    CudaLibraryError,
    Loader,
    ctranslate2_uses_cudnn,
    describe_image,
    ensure_cuda_libraries,
    nvidia_lib_dirs,
)

REPO = Path(__file__).resolve().parents[2]
WHEEL_FILES = {
    "cublas": ["libcublas.so.12", "libcublasLt.so.12", "libnvblas.so.12"],
    "cudnn": [name for name, family in PRELOAD_ORDER if family == "cudnn" and "cudnn" in name],
    "cuda_nvrtc": ["libnvrtc.so.12", "libnvrtc-builtins.so.12.4"],
}


def pip_layout(site_packages: Path) -> Path:
    """``nvidia-cublas-cu12``, ``nvidia-cudnn-cu12`` and ``nvidia-cuda-nvrtc-cu12`` as pip installs them."""
    for package, files in WHEEL_FILES.items():
        lib = site_packages / "nvidia" / package / "lib"
        lib.mkdir(parents=True)
        (site_packages / "nvidia" / package / "__init__.py").write_text("")
        for name in files:
            (lib / name).write_bytes(b"\x7fELF")
    (site_packages / "nvidia" / "cudnn" / "include").mkdir()
    return site_packages


class FakeProcess:
    """glibc as far as preloading goes: by name from the loader's path or what is loaded; by path if it exists."""

    def __init__(self, on_loader_path=(), broken=()):
        self.on_loader_path = set(on_loader_path)
        self.broken = set(broken)
        self.loaded: list[str] = []

    def dlopen(self, name: str) -> None:
        if "/" in name:
            if not os.path.isfile(name) or os.path.basename(name) in self.broken:
                raise OSError(f"{name}: cannot open shared object file: No such file or directory")
            self.loaded.append(name)
        elif name not in self.on_loader_path and name not in {os.path.basename(p) for p in self.loaded}:
            raise OSError(f"{name}: cannot open shared object file: No such file or directory")

    def loader(self, roots=(), cuda_visible=True, uses_cudnn=True) -> Loader:
        return Loader(self.dlopen, lambda: nvidia_lib_dirs(roots), lambda: cuda_visible, lambda: uses_cudnn)


def test_system_wide_libraries_are_used_as_they_are(tmp_path, caplog):
    process = FakeProcess(on_loader_path=CUBLAS + CUDNN)
    caplog.set_level(logging.INFO, logger="inference.cuda_libs")
    report = ensure_cuda_libraries("cuda", loader=process.loader([pip_layout(tmp_path)]))
    assert report.layout == "system"
    assert report.preloaded == [] and process.loaded == []
    assert "found by the dynamic loader" in caplog.text


def test_pip_only_libraries_are_preloaded_in_dependency_order(tmp_path, caplog):
    site_packages = pip_layout(tmp_path / "site-packages")
    process = FakeProcess()
    caplog.set_level(logging.INFO, logger="inference.cuda_libs")
    report = ensure_cuda_libraries("auto", loader=process.loader([site_packages]))
    assert report.layout == "preloaded"
    assert [os.path.basename(p) for p in report.preloaded] == [
        "libnvrtc.so.12", "libcublasLt.so.12", "libcublas.so.12", "libcudnn_graph.so.9",
        "libcudnn_engines_precompiled.so.9", "libcudnn_engines_runtime_compiled.so.9", "libcudnn_heuristic.so.9",
        "libcudnn_ops.so.9", "libcudnn_cnn.so.9", "libcudnn_adv.so.9", "libcudnn.so.9",
    ]
    assert report.preloaded == process.loaded
    assert all(p.startswith(str(site_packages / "nvidia")) for p in report.preloaded)
    assert sorted(report.searched) == sorted(str(site_packages / "nvidia" / p / "lib") for p in WHEEL_FILES)
    for name in CUBLAS + CUDNN:  # the later dlopen by name now finds them
        process.dlopen(name)
    assert "preloaded 11 CUDA libraries" in caplog.text


def test_only_the_missing_family_is_preloaded(tmp_path):
    process = FakeProcess(on_loader_path={"libcublas.so.12", "libcublasLt.so.12"})
    report = ensure_cuda_libraries("cuda", loader=process.loader([pip_layout(tmp_path)]))
    names = [os.path.basename(p) for p in report.preloaded]
    assert names[0] == "libnvrtc.so.12" and names[-1] == "libcudnn.so.9"
    assert not any("cublas" in n for n in names)


def test_a_build_without_cudnn_needs_only_cublas(tmp_path):
    process = FakeProcess(on_loader_path=CUBLAS)
    report = ensure_cuda_libraries("cuda", loader=process.loader([pip_layout(tmp_path)], uses_cudnn=False))
    assert report.layout == "system" and process.loaded == []


def test_cudnn_use_is_read_from_the_installed_build(tmp_path):
    def package(name: str, libs: dict[str, bytes]) -> Path:
        (tmp_path / name / "ctranslate2").mkdir(parents=True)
        (tmp_path / name / "ctranslate2.libs").mkdir()
        for lib, content in libs.items():
            (tmp_path / name / "ctranslate2.libs" / lib).write_bytes(content)
        return tmp_path / name / "ctranslate2"

    bundled = package("4.6", {"libctranslate2-c75cca97.so.4.6.0": b"\x7fELF", "libcudnn-74a4c495.so.9.1.0": b"x"})
    linked = package("linked", {"libctranslate2-0.so.4.5.0": b"\x7fELF\0cudnnCreate\0libcudnn.so.9\0"})
    none = package("4.8", {"libctranslate2-a7a60d30.so.4.8.5": b"\x7fELF\0libcublas.so.12\0"})
    assert ctranslate2_uses_cudnn(bundled) and ctranslate2_uses_cudnn(linked)
    assert not ctranslate2_uses_cudnn(none)


def test_neither_layout_fails_with_one_line_naming_library_and_image(tmp_path):
    (tmp_path / "nvidia" / "cublas" / "lib").mkdir(parents=True)  # an empty package dir holds nothing
    process = FakeProcess(on_loader_path={"libcublas.so.12", "libcublasLt.so.12"})
    with pytest.raises(CudaLibraryError) as caught:
        ensure_cuda_libraries("cuda", image="123.dkr.ecr.us-east-1.amazonaws.com/custom:1",
                              loader=process.loader([tmp_path]))
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("cannot load libcudnn_graph.so.9, libcudnn_ops.so.9, libcudnn_cnn.so.9:")
    assert "123.dkr.ecr.us-east-1.amazonaws.com/custom:1" in message
    assert process.loaded == []


def test_without_image_the_error_describes_it_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("CUDA_VERSION", "12.4.1")
    with pytest.raises(CudaLibraryError, match=r"libcublasLt.so.12, libcublas.so.12, libcudnn_graph.so.9, .*: .*"
                       r"no nvidia-\* pip package .* CUDA_VERSION=12.4.1"):
        ensure_cuda_libraries("cuda", loader=FakeProcess().loader([tmp_path]))
    assert describe_image({}) == "an image without CUDA_VERSION (not a CUDA image)"


def test_a_library_that_fails_to_load_is_named_with_the_reason(tmp_path):
    process = FakeProcess(on_loader_path={"libcublas.so.12", "libcublasLt.so.12"}, broken={"libcudnn_ops.so.9"})
    with pytest.raises(CudaLibraryError, match=r"cannot load libcudnn_ops.so.9 \(libcudnn_ops.so.9: .*cannot open"):
        ensure_cuda_libraries("cuda", loader=process.loader([pip_layout(tmp_path)]))


def test_cpu_and_no_visible_gpu_touch_nothing():
    def forbidden(*_):
        raise AssertionError("must not be called")

    assert ensure_cuda_libraries("cpu", loader=Loader(forbidden, forbidden, forbidden, forbidden)).layout == "cpu"
    report = ensure_cuda_libraries("cuda", loader=Loader(forbidden, forbidden, lambda: False, forbidden))
    assert report.layout == "no-gpu"


def test_nvidia_lib_dirs_finds_each_package_once(tmp_path):
    site_packages = pip_layout(tmp_path / "a")
    (tmp_path / "b").symlink_to(site_packages)
    (site_packages / "nvidia" / "no_lib_here").mkdir()
    dirs = nvidia_lib_dirs([str(site_packages), str(tmp_path / "b"), str(tmp_path / "missing")])
    assert [d.parent.name for d in dirs] == ["cublas", "cuda_nvrtc", "cudnn"]


def _shared_object(cc: str, path: Path, soname: str, needs: Path | None = None) -> None:
    source = path.with_suffix(".c")
    source.write_text(f"int {soname.split('.')[0]}_marker(void) {{ return 1; }}\n")
    command = [cc, "-shared", "-fPIC", f"-Wl,-soname,{soname}", "-o", str(path), str(source)]
    if needs is not None:  # a DT_NEEDED entry without any rpath, like libcublas -> libcublasLt
        command += [f"-L{needs.parent}", "-Wl,--no-as-needed", f"-l:{needs.name}"]
    subprocess.run(command, check=True, capture_output=True)
    source.unlink()


def test_real_dlopen_resolves_preloaded_libraries_by_name(tmp_path):
    cc = shutil.which("cc") or shutil.which("gcc")
    assert cc, "a C compiler (cc/gcc) is needed to build the stand-in shared objects"
    site_packages = tmp_path / "site-packages"
    cublas, cudnn = site_packages / "nvidia" / "cublas" / "lib", site_packages / "nvidia" / "cudnn" / "lib"
    cublas.mkdir(parents=True)
    cudnn.mkdir(parents=True)
    # Each with the dependency the real one has, as a DT_NEEDED entry without rpath.
    _shared_object(cc, cublas / "libcublasLt.so.12", "libcublasLt.so.12")
    _shared_object(cc, cublas / "libcublas.so.12", "libcublas.so.12", needs=cublas / "libcublasLt.so.12")
    _shared_object(cc, cudnn / "libcudnn_graph.so.9", "libcudnn_graph.so.9")
    _shared_object(cc, cudnn / "libcudnn_ops.so.9", "libcudnn_ops.so.9", needs=cudnn / "libcudnn_graph.so.9")
    _shared_object(cc, cudnn / "libcudnn_cnn.so.9", "libcudnn_cnn.so.9", needs=cudnn / "libcudnn_ops.so.9")
    order = subprocess.run([sys.executable, "-c", f"import ctypes; ctypes.CDLL({str(cublas / 'libcublas.so.12')!r})"],
                           capture_output=True, text=True)
    assert "libcublasLt.so.12" in order.stderr, "libcublas alone must fail: the order of the preloads matters"
    script = textwrap.dedent(f"""
        import ctypes
        from inference import cuda_libs
        try:
            ctypes.CDLL("libcudnn_cnn.so.9")
            raise SystemExit("libcudnn_cnn.so.9 already loadable here: the test proves nothing")
        except OSError:
            pass
        dirs = cuda_libs.nvidia_lib_dirs([{str(site_packages)!r}])
        loader = cuda_libs.Loader(cuda_libs.default_loader().dlopen, lambda: dirs, lambda: True, lambda: True)
        report = cuda_libs.ensure_cuda_libraries("cuda", loader=loader)
        print(report.layout, len(report.preloaded))
        for name in cuda_libs.CUBLAS + cuda_libs.CUDNN:
            ctypes.CDLL(name)  # what CTranslate2 and cuDNN's shim do
        print("by-name ok")
    """)
    env = {k: v for k, v in os.environ.items() if k != "LD_LIBRARY_PATH"}
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["preloaded", "5", "by-name", "ok"]


def test_load_model_checks_cuda_libraries_before_loading(model_dir: Path, monkeypatch: pytest.MonkeyPatch):
    """load_model asks for the libraries with the resolved device, and a failure stops the load."""
    import inference.model as model_module
    from inference.config import ServingConfig

    devices: list[str] = []

    def refuse(device: str, **_kwargs):
        devices.append(device)
        raise CudaLibraryError("libcublas.so.12 not found (simulated)")

    monkeypatch.setattr(model_module, "ensure_cuda_libraries", refuse)
    loaded: list[str] = []
    monkeypatch.setattr(model_module, "ServingWhisperModel", lambda *a, **k: loaded.append("model"))
    with pytest.raises(CudaLibraryError, match="libcublas.so.12"):
        model_module.load_model(model_dir, ServingConfig(device="cpu"), warm_up=False)
    assert devices == ["cpu"]
    assert loaded == []
