"""What goes where inside the artifact (the layout SageMaker's inference containers expect).

```
config.json, model.bin, tokenizer.json, vocabulary.*   the CTranslate2 model, at the root
code/inference.py                 imports model_fn/input_fn/predict_fn/output_fn
code/whisper_inference/*.py       this repo's ``inference`` package's Python files, less the
                                  local-only ones (pins.json ``local_only``)
code/requirements.txt             --no-index --find-links ./wheels + the runtime pins
code/wheels/*.whl                 vendored runtime wheels
```

The package is renamed ``whisper_inference`` because the toolkit imports the
user module ``inference`` (``code/inference.py``): a package of that name would
shadow it. Stdlib only: ``plan`` hashes the handler files listed here. Changing what this
module writes for the same inputs (``ENTRY_MODULE``, the layout) means bumping the artifact
format in ``pins.json``.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from .archive import Entry
from .errors import BuilderError
from .models import ALLOW_PATTERNS, LOCAL_ONLY

PACKAGE_NAME = "whisper_inference"
ENTRY_MODULE = (
    '"""SageMaker entry point: the toolkit imports this module from code/."""\n'
    f"from {PACKAGE_NAME}.handler import input_fn, model_fn, output_fn, predict_fn\n\n"
    '__all__ = ["model_fn", "input_fn", "predict_fn", "output_fn"]\n'
)


def default_handler_dir() -> Path:
    """The installed ``inference`` package: the runtime handler the artifact ships.

    Raises:
        BuilderError: the package cannot be found.
    """
    spec = importlib.util.find_spec("inference")
    if spec is None or not spec.submodule_search_locations:
        raise BuilderError("cannot find the 'inference' package (the handler); run from the repository "
                           "with its .venv, or pass --handler-dir")
    return Path(next(iter(spec.submodule_search_locations)))


def handler_files(handler_dir: Path) -> list[Path]:
    """The handler package's Python files, sorted: what the endpoint runs.

    Neither its docs nor the local-only files (``LOCAL_ONLY``, from pins.json: the local
    server's emulation of asynchronous inference) are shipped, so editing them does not
    change the content key or roll the endpoint.

    Raises:
        BuilderError: ``handler_dir`` has no ``handler.py``.
    """
    if not (handler_dir / "handler.py").is_file():
        raise BuilderError(f"{handler_dir} has no handler.py: not the inference package")
    return sorted(path for path in handler_dir.rglob("*.py")
                  if path.is_file() and "__pycache__" not in path.relative_to(handler_dir).parts
                  and path.relative_to(handler_dir).as_posix() not in LOCAL_ONLY)


def model_files(model_dir: Path) -> list[Path]:
    """The files faster-whisper loads from ``model_dir`` (the Hub allow-patterns)."""
    return sorted(
        path for path in model_dir.iterdir()
        if path.is_file() and any(path.match(pattern) for pattern in ALLOW_PATTERNS)
    )


def entries(model_dir: Path, handler_dir: Path, wheels: list[Path] | None,
            requirements: str | None) -> list[Entry]:
    """Every file of the artifact, by its name inside the artifact."""
    result = [Entry(path.name, path=path) for path in model_files(model_dir)]
    result.append(Entry("code/inference.py", data=ENTRY_MODULE.encode()))
    for path in handler_files(handler_dir):
        result.append(Entry(f"code/{PACKAGE_NAME}/{path.relative_to(handler_dir).as_posix()}", path=path))
    if wheels:
        result.extend(Entry(f"code/wheels/{wheel.name}", path=wheel) for wheel in wheels)
        result.append(Entry("code/requirements.txt", data=requirements.encode()))
    return result
