"""The content key: what it covers (only what the endpoint runs), how it is written (the canonical
JSON HCL's jsonencode also writes) and the pins it reads (builder/pins.json)."""

from __future__ import annotations

import ast
import json
import shutil
import tarfile
from pathlib import Path

import pytest

import builder.plan
from builder import ARTIFACT_FORMAT
from builder.build import Options, build
from builder.layout import handler_files
from builder.models import LOCAL_ONLY, MODELS, PINS_FILE, is_commit, load_pins
from builder.plan import Selection, canonical_json, content_key, plan

REPO = Path(__file__).resolve().parents[2]


def test_handler_docs_do_not_change_the_key_but_code_does(handler_dir: Path) -> None:
    before = content_key(Selection(model_size="tiny.en", handler_dir=handler_dir))
    (handler_dir / "README.md").write_text("how the handler works \n")
    (handler_dir / "notes.txt").write_text("not shipped either\n")
    assert content_key(Selection(model_size="tiny.en", handler_dir=handler_dir)) == before
    (handler_dir / "transcribe.py").write_text("WINDOW_S = 30\n")
    assert content_key(Selection(model_size="tiny.en", handler_dir=handler_dir)) != before


@pytest.fixture
def inference_copy(tmp_path: Path) -> Path:
    """A copy of the real inference package, to edit."""
    copy = tmp_path / "inference"
    shutil.copytree(REPO / "inference", copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def test_a_local_only_edit_keeps_the_key_and_a_served_edit_changes_it(inference_copy: Path) -> None:
    def key() -> str:
        return content_key(Selection(model_size="tiny.en", handler_dir=inference_copy))

    before = key()
    for name in LOCAL_ONLY:  # the asynchronous-inference emulation: the endpoint never runs it
        with open(inference_copy / name, "a") as local_only:
            local_only.write("# edited\n")
    assert key() == before
    for served in ("server.py", "stream_route.py"):  # the serving image runs our server, streaming included
        with open(inference_copy / served, "a") as code:
            code.write("# edited\n")
        assert key() != before
        before = key()


def test_local_only_names_files_that_exist_and_nothing_served_imports_them() -> None:
    package = REPO / "inference"
    assert LOCAL_ONLY and all((package / name).is_file() for name in LOCAL_ONLY)
    served = {p.relative_to(package).as_posix() for p in handler_files(package)}
    assert not served & LOCAL_ONLY and {"handler.py", "server.py", "stream_route.py", "__main__.py"} <= served
    modules = {name.removesuffix(".py").replace("/", ".") for name in LOCAL_ONLY}
    for name in served - {"__main__.py"}:  # __main__ imports them only for --async-output-path
        tree = ast.parse((package / name).read_text())
        imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
        assert not imported & modules, name


def test_the_artifact_ships_only_the_handlers_python_files(tmp_path: Path, model_dir: Path,
                                                           handler_dir: Path) -> None:
    (handler_dir / "README.md").write_text("docs\n")
    build(Selection(model_dir=model_dir, handler_dir=handler_dir, wheels="none"), Options(output=tmp_path))
    with tarfile.open(tmp_path / "model.tar.gz") as tar:
        code = sorted(m.name for m in tar.getmembers() if m.isfile() and m.name.startswith("code/"))
    assert code == ["code/inference.py", "code/whisper_inference/__init__.py",
                    "code/whisper_inference/handler.py"]


def test_plan_hashes_each_model_dir_file_once(tmp_path: Path, model_dir: Path, handler_dir: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    local = tmp_path / "model"
    shutil.copytree(model_dir, local)
    hashed: list[str] = []
    real = builder.plan.sha256_file

    def counting(path: Path) -> str:
        hashed.append(Path(path).name)
        return real(path)

    monkeypatch.setattr(builder.plan, "sha256_file", counting)
    result = plan(Selection(model_dir=local, handler_dir=handler_dir, wheels="none"))
    model_files = sorted(p.name for p in local.iterdir())
    assert sorted(n for n in hashed if n in model_files) == model_files  # each exactly once
    assert result["content_key"] == content_key(Selection(model_dir=local, handler_dir=handler_dir,
                                                          wheels="none"))


def test_canonical_json_matches_go_encoding() -> None:
    # HCL's jsonencode is Go's encoding/json: HTML-safe escapes, raw UTF-8, sorted keys, no spaces.
    value = {"b": "<a&b>", "a": [0, None, "caf\u00e9\u2028"], "c": {"y": 9, "x": ""}}
    assert canonical_json(value) == ('{"a":[0,null,"caf\u00e9\\u2028"],"b":"\\u003ca\\u0026b\\u003e",'
                                     '"c":{"x":"","y":9}}')
    assert json.loads(canonical_json(value)) == value


def test_plan_reports_the_artifact_format_salt() -> None:
    result = plan(Selection(model_size="tiny.en"))
    assert result["artifact_format"] == ARTIFACT_FORMAT == load_pins()["artifact_format"]
    assert result["revision"] == MODELS["tiny.en"].revision


def test_pins_are_commits_and_aliases_resolve() -> None:
    models = json.loads(PINS_FILE.read_text())["models"]
    for size, entry in models.items():
        if "alias_of" in entry:
            target = models[entry["alias_of"]]
            assert "alias_of" not in target, f"{size}: an alias must name a real entry"
            assert MODELS[size].revision == target["revision"]
        else:
            assert is_commit(entry["revision"]), size
            assert set(entry) <= {"repo", "revision", "files"}, size
