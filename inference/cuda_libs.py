"""Make CUDA 12's cuBLAS and cuDNN 9 loadable for CTranslate2, whatever the image's layout.

On the GPU, CTranslate2 (>= 4.5) opens ``libcublas.so.12`` with ``dlopen`` by name. The
4.6 wheel also bundles cuDNN 9.1's ``libcudnn.so.9`` shim (renamed by auditwheel), which
opens cuDNN's sub-libraries (``libcudnn_graph.so.9``, ``libcudnn_ops.so.9``,
``libcudnn_cnn.so.9`` ...) by name in turn. Images install these either system-wide (the
AWS Hugging Face PyTorch DLCs: apt packages ``libcublas-12-4`` and ``libcudnn9-cuda-12``)
or only as pip wheels (``nvidia-cublas-cu12``, ``nvidia-cudnn-cu12``) whose
``site-packages/nvidia/*/lib`` directories the dynamic loader never searches.

:func:`ensure_cuda_libraries` asks the loader for each library by name. Whatever it
cannot find is looked up in those package directories (and the CUDA toolkit's own) and
loaded by path with ``RTLD_GLOBAL``: glibc then answers the later ``dlopen`` by name with
the library already in the process. If that does not help either, it raises
:class:`CudaLibraryError` with one line naming what is missing.
"""

from __future__ import annotations

import ctypes
import glob
import logging
import mmap
import os
import site
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

logger = logging.getLogger(__name__)

# What is opened by name on the GPU (missing any: no GPU inference), by family. cuDNN
# counts only when the installed CTranslate2 build uses it (4.5/4.6 do; see uses_cudnn).
CUBLAS = ("libcublasLt.so.12", "libcublas.so.12")
CUDNN = ("libcudnn_graph.so.9", "libcudnn_ops.so.9", "libcudnn_cnn.so.9")
FAMILY = {**dict.fromkeys(CUBLAS, "cublas"), **dict.fromkeys(CUDNN, "cudnn")}

# Everything worth preloading from a package directory, each after what it needs:
# libcublas needs libcublasLt; cuDNN's graph library comes first, its engines after it
# (the runtime-compiled ones need NVRTC), and the package's own libcudnn.so.9 shim last,
# so that cuDNN calls can resolve to a shim of the same version as the sub-libraries.
PRELOAD_ORDER = (
    ("libnvrtc.so.12", "cudnn"),
    ("libcublasLt.so.12", "cublas"),
    ("libcublas.so.12", "cublas"),
    ("libcudnn_graph.so.9", "cudnn"),
    ("libcudnn_engines_precompiled.so.9", "cudnn"),
    ("libcudnn_engines_runtime_compiled.so.9", "cudnn"),
    ("libcudnn_heuristic.so.9", "cudnn"),
    ("libcudnn_ops.so.9", "cudnn"),
    ("libcudnn_cnn.so.9", "cudnn"),
    ("libcudnn_adv.so.9", "cudnn"),
    ("libcudnn.so.9", "cudnn"),
)


class CudaLibraryError(RuntimeError):
    """The GPU was asked for but CUDA 12 / cuDNN 9 libraries cannot be loaded."""


@dataclass(frozen=True)
class Loader:
    """The calls that touch the process and the file system (tests replace them).

    Attributes:
        dlopen: load a library by name or path; raises ``OSError`` when it cannot.
        lib_dirs: directories that may hold the libraries (pip packages, CUDA toolkit).
        cuda_visible: whether a CUDA device is visible to CTranslate2.
        uses_cudnn: whether the installed CTranslate2 build calls cuDNN.
    """

    dlopen: Callable[[str], object]
    lib_dirs: Callable[[], Sequence[Path]]
    cuda_visible: Callable[[], bool]
    uses_cudnn: Callable[[], bool]


@dataclass
class PreloadReport:
    """What :func:`ensure_cuda_libraries` found and did.

    Attributes:
        layout: ``cpu`` (nothing to do), ``no-gpu`` (CUDA asked for, none visible: left to
            CTranslate2's own error), ``system`` (the loader finds everything), ``preloaded``
            (some libraries were loaded by path).
        preloaded: paths loaded with ``RTLD_GLOBAL``, in load order.
        searched: the directories looked in (only when something was missing).
    """

    layout: str
    preloaded: list[str] = field(default_factory=list)
    searched: list[str] = field(default_factory=list)


def ensure_cuda_libraries(device: str, image: str | None = None, loader: Loader | None = None) -> PreloadReport:
    """Make sure CTranslate2 can load cuBLAS 12 and cuDNN 9 before a model goes on the GPU.

    Args:
        device: the model's device: ``cpu``, ``cuda`` or ``auto``.
        image: the container image, named in the error; ``None`` describes it from the
            environment (``CUDA_VERSION``).
        loader: replaces the real ``dlopen``, directory discovery and GPU check.

    Raises:
        CudaLibraryError: a GPU is visible but a required library cannot be loaded.
    """
    loader = loader or default_loader()
    if device == "cpu":
        return PreloadReport("cpu")
    if not loader.cuda_visible():
        return PreloadReport("no-gpu")
    required = CUBLAS + (CUDNN if loader.uses_cudnn() else ())
    missing = _unloadable(loader, required)
    if not missing:
        logger.info("CUDA libraries found by the dynamic loader: %s", ", ".join(required))
        return PreloadReport("system")
    dirs = [str(d) for d in loader.lib_dirs()]
    report = PreloadReport("preloaded", searched=dirs)
    failures = _preload(loader, missing, _index(dirs), report)
    still_missing = _unloadable(loader, missing)
    if still_missing:
        raise CudaLibraryError(_message(still_missing, failures, dirs, image))
    logger.info("preloaded %d CUDA libraries the dynamic loader could not find: %s",
                len(report.preloaded), ", ".join(report.preloaded))
    return report


def _unloadable(loader: Loader, names: Iterable[str]) -> list[str]:
    missing = []
    for name in names:
        try:
            loader.dlopen(name)
        except OSError:
            missing.append(name)
    return missing


def _index(dirs: Sequence[str]) -> dict[str, str]:
    """Library file name -> first path holding it, in the order of ``dirs``."""
    found: dict[str, str] = {}
    for directory in dirs:
        for name, _ in PRELOAD_ORDER:
            path = os.path.join(directory, name)
            if name not in found and os.path.isfile(path):
                found[name] = path
    return found


def _preload(loader: Loader, missing: list[str], found: dict[str, str], report: PreloadReport) -> dict[str, str]:
    """Load, by path and in dependency order, every library of the missing ones' families."""
    families = {FAMILY[name] for name in missing}
    failures: dict[str, str] = {}
    for name, family in PRELOAD_ORDER:
        if family not in families or name not in found:
            continue
        try:
            loader.dlopen(found[name])
        except OSError as exc:  # a sub-library that fails is reported only if the shim fails too
            failures[name] = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            continue
        report.preloaded.append(found[name])
        logger.debug("preloaded %s", found[name])
    return failures


def _message(missing: list[str], failures: dict[str, str], dirs: Sequence[str], image: str | None) -> str:
    where = f"{len(dirs)} package/toolkit directories" if dirs else "no nvidia-* pip package or CUDA toolkit directory"
    broken = [f"{name}: {failures[name]}" for name in missing if name in failures]
    detail = f" ({'; '.join(broken)})" if broken else ""
    return (f"cannot load {', '.join(missing)}{detail}: not on the dynamic loader's path and not in {where}; "
            f"image: {image or describe_image()}. CTranslate2 on GPU needs CUDA 12 cuBLAS and cuDNN 9: use an "
            "image that ships them (the huggingface-pytorch-inference ...-cu124 DLC does) or install "
            "nvidia-cublas-cu12 and nvidia-cudnn-cu12, or set WHISPER_DEVICE=cpu")


def describe_image(environ: dict | None = None) -> str:
    """The image as far as its environment tells (NVIDIA's CUDA images set ``CUDA_VERSION``)."""
    env = os.environ if environ is None else environ
    cuda = env.get("CUDA_VERSION")
    return f"an image with CUDA_VERSION={cuda}" if cuda else "an image without CUDA_VERSION (not a CUDA image)"


def nvidia_lib_dirs(roots: Iterable[str] | None = None) -> list[Path]:
    """``nvidia/*/lib`` under each root (pip's NVIDIA wheels), then the CUDA toolkit's directories.

    Args:
        roots: where to look for the ``nvidia`` namespace package; ``None`` means every
            site-packages directory and ``sys.path`` entry.
    """
    if roots is None:
        roots = [*site.getsitepackages(), site.getusersitepackages(), *sys.path]
        toolkit = [*glob.glob("/usr/local/cuda*/lib64"), *glob.glob("/usr/local/cuda*/targets/*/lib")]
    else:
        toolkit = []
    dirs: list[Path] = []
    for root in roots:
        for lib in sorted(Path(root or ".").glob("nvidia/*/lib")):
            if lib.is_dir() and lib.resolve() not in {d.resolve() for d in dirs}:
                dirs.append(lib)
    dirs.extend(Path(d) for d in sorted(toolkit) if os.path.isdir(d))
    return dirs


def ctranslate2_uses_cudnn(package_dir: str | Path | None = None) -> bool:
    """Whether the CTranslate2 build calls cuDNN (4.6's wheel bundles cuDNN's shim; 4.8's uses none).

    A build that links cuDNN without bundling the shim names ``libcudnn.so.9`` in its library.
    """
    if package_dir is None:
        import ctranslate2

        package_dir = Path(ctranslate2.__file__).parent
    libs = Path(package_dir).parent / "ctranslate2.libs"
    if any(libs.glob("libcudnn*")):
        return True
    for library in libs.glob("libctranslate2*"):
        if library.stat().st_size == 0:
            continue
        with open(library, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
            if data.find(b"libcudnn.so.9") >= 0:
                return True
    return False


def _dlopen_global(name: str) -> ctypes.CDLL:
    return ctypes.CDLL(name, mode=ctypes.RTLD_GLOBAL)


def _ctranslate2_sees_cuda() -> bool:
    import ctranslate2

    return ctranslate2.get_cuda_device_count() > 0


def default_loader() -> Loader:
    """The real process: ``ctypes`` with ``RTLD_GLOBAL``, installed packages, CTranslate2's device count."""
    return Loader(dlopen=_dlopen_global, lib_dirs=nvidia_lib_dirs, cuda_visible=_ctranslate2_sees_cuda,
                  uses_cudnn=ctranslate2_uses_cudnn)
