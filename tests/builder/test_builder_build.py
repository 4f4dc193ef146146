"""Builds from the real tiny.en files: reproducibility, plan == build, no-op rebuilds,
and the real huggingface_hub download code running offline against a Hub cache."""

from __future__ import annotations

import json
import shutil
import tarfile

import pytest
from builder_testlib import TINY_EN, make_hf_cache, run_cli

from builder.build import Options, build
from builder.errors import BuilderError
from builder.fetch import fetch_from_hub
from builder.models import MODELS
from builder.plan import Selection, content_key


def _build(model_dir, handler_dir, output, **selection):
    chosen = Selection(model_dir=model_dir, handler_dir=handler_dir, wheels="none", **selection)
    return build(chosen, Options(output=output))


def test_two_builds_are_byte_identical_and_a_handler_byte_changes_them(tmp_path, model_dir, handler_dir):
    one = _build(model_dir, handler_dir, tmp_path / "one")
    two = _build(model_dir, handler_dir, tmp_path / "two")
    assert one["artifact"]["sha256"] == two["artifact"]["sha256"]
    assert (tmp_path / "one" / "model.tar.gz").read_bytes() == (tmp_path / "two" / "model.tar.gz").read_bytes()

    source = (handler_dir / "handler.py").read_bytes()
    (handler_dir / "handler.py").write_bytes(source.replace(b"'text': ''", b"'text': '.'"))
    three = _build(model_dir, handler_dir, tmp_path / "three")
    assert three["artifact"]["sha256"] != one["artifact"]["sha256"]
    assert three["content_key"] != one["content_key"]


def test_artifact_layout_is_what_sagemaker_loads(tmp_path, model_dir, handler_dir):
    _build(model_dir, handler_dir, tmp_path / "out")
    with tarfile.open(tmp_path / "out" / "model.tar.gz") as tar:
        names = tar.getnames()
        entry = tar.extractfile("code/inference.py").read().decode()
    assert {"config.json", "model.bin", "tokenizer.json", "vocabulary.txt"} <= set(names)
    assert "code/whisper_inference/handler.py" in names and "code/whisper_inference/__init__.py" in names
    assert not any("__pycache__" in n for n in names)
    assert "from whisper_inference.handler import input_fn, model_fn, output_fn, predict_fn" in entry
    assert "code/requirements.txt" not in names  # --wheels none


def test_plan_names_what_build_produces(tmp_path, model_dir, handler_dir, capsys):
    from builder.__main__ import main

    assert main(["plan", "--model-dir", str(model_dir), "--handler-dir", str(handler_dir), "--wheels", "none",
                 "--bucket", "b", "--prefix", "p/q"]) == 0
    planned = json.loads(capsys.readouterr().out)
    built = _build(model_dir, handler_dir, tmp_path / "out")
    assert planned["content_key"] == built["content_key"]
    assert planned["s3_uri"] == f"s3://b/p/q/{built['content_key']}/model.tar.gz"
    assert all(isinstance(v, str) for v in planned.values())


def test_plan_reads_a_terraform_query_on_stdin_with_the_standard_library_only(handler_dir):
    # plan --stdin: a JSON query on stdin, one JSON object of strings out, standard library only.
    query = {"model_size": "large-v3", "bucket": "my-bucket", "handler_dir": str(handler_dir)}
    blocker = ("import sys; [sys.modules.__setitem__(m, None) for m in "
               "('boto3', 'botocore', 'huggingface_hub', 'tqdm', 'ctranslate2', 'faster_whisper')]; "
               "from builder.__main__ import main; sys.exit(main(['plan', '--stdin']))")
    import os
    import subprocess
    import sys

    from builder_testlib import REPO_ROOT

    result = subprocess.run([sys.executable, "-c", blocker], input=json.dumps(query), capture_output=True,
                            text=True, cwd=REPO_ROOT, env=dict(os.environ, PYTHONPATH=str(REPO_ROOT)))
    assert result.returncode == 0, result.stderr
    planned = json.loads(result.stdout)
    assert planned["revision"] == MODELS["large-v3"].revision
    assert planned["repo"] == "Systran/faster-whisper-large-v3"
    assert planned["s3_uri"].startswith("s3://my-bucket/whisper/") and planned["s3_uri"].endswith("/model.tar.gz")
    assert planned["content_key"] == content_key(
        Selection(model_size="large-v3", handler_dir=handler_dir))


def test_noop_rebuild_does_not_rewrite_the_artifact(tmp_path, model_dir, handler_dir):
    first = _build(model_dir, handler_dir, tmp_path / "out")
    before = (tmp_path / "out" / "model.tar.gz").stat().st_mtime_ns
    second = _build(model_dir, handler_dir, tmp_path / "out")
    assert (tmp_path / "out" / "model.tar.gz").stat().st_mtime_ns == before
    assert second["artifact"]["sha256"] == first["artifact"]["sha256"]
    # A damaged artifact is not trusted: it is rebuilt.
    with open(tmp_path / "out" / "model.tar.gz", "r+b") as handle:
        handle.seek(1000)
        handle.write(b"X")
    third = _build(model_dir, handler_dir, tmp_path / "out")
    assert third["artifact"]["sha256"] == first["artifact"]["sha256"]


def test_offline_build_from_the_hub_cache(tmp_path, hf_cache, handler_dir):
    result = run_cli("build", "--model-size", "tiny.en", "--handler-dir", str(handler_dir), "--wheels", "none",
                     "--output", str(tmp_path / "out"),
                     env={"HF_HUB_OFFLINE": "1", "HF_HUB_CACHE": str(hf_cache), "HF_HOME": str(tmp_path / "hf")})
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["model"] == {"size": "tiny.en", "repo": TINY_EN.repo, "revision": TINY_EN.revision,
                                 "local_dir": None}
    with tarfile.open(tmp_path / "out" / "model.tar.gz") as tar:
        assert tar.getmember("model.bin").size == TINY_EN.files["model.bin"].size
    planned = run_cli("plan", "--model-size", "tiny.en", "--handler-dir", str(handler_dir), "--wheels", "none")
    assert json.loads(planned.stdout)["content_key"] == document["content_key"]


def test_offline_branch_revision_resolves_through_refs(tmp_path, hf_cache):
    fetched = fetch_from_hub(TINY_EN.repo, "main", cache_dir=hf_cache, offline=True)
    assert fetched.revision == TINY_EN.revision
    assert (fetched.path / "model.bin").is_file()


def test_corrupt_cached_file_is_detected(tmp_path, model_dir):
    cache = make_hf_cache(tmp_path / "cache", model_dir)
    vocabulary = next(cache.rglob("snapshots/*/vocabulary.txt")).resolve()
    data = bytearray(vocabulary.read_bytes())
    data[100] ^= 1
    vocabulary.write_bytes(bytes(data))
    with pytest.raises(BuilderError, match="vocabulary.txt does not match the Hub's recorded hash"):
        fetch_from_hub(TINY_EN.repo, TINY_EN.revision, cache_dir=cache, offline=True)
    # Same check with no pinned digests: the cache's blob names (ETags) catch it.
    with pytest.raises(BuilderError, match="vocabulary.txt does not match"):
        fetch_from_hub(TINY_EN.repo, TINY_EN.revision, pinned={}, cache_dir=cache, offline=True)


def test_model_missing_from_the_cache_offline_is_a_clear_error(tmp_path, handler_dir):
    result = run_cli("build", "--model-size", "base.en", "--handler-dir", str(handler_dir), "--wheels", "none",
                     "--output", str(tmp_path / "out"),
                     env={"HF_HUB_OFFLINE": "1", "HF_HUB_CACHE": str(tmp_path / "empty"),
                          "HF_HOME": str(tmp_path / "hf")})
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].startswith(
        "ERROR: Systran/faster-whisper-base.en@3d3d5dee26484f91867d81cb899cfcf72b96be6c is not in the "
        "Hugging Face cache")
    assert not (tmp_path / "out" / "model.tar.gz").exists()


def test_uncompressed_layout(tmp_path, model_dir, handler_dir):
    document = _build(model_dir, handler_dir, tmp_path / "out", layout="uncompressed")
    root = tmp_path / "out" / "model"
    assert (root / "model.bin").read_bytes() == (model_dir / "model.bin").read_bytes()
    assert (root / "code" / "inference.py").is_file()
    assert document["artifact"]["file"] == "model/"
    assert _build(model_dir, handler_dir, tmp_path / "again", layout="uncompressed")["artifact"]["sha256"] == \
        document["artifact"]["sha256"]
    shutil.rmtree(tmp_path / "again")


def test_hub_records_are_checked_too(tmp_path, hf_cache):
    from builder.fetch import verify_files

    snapshot = next(hf_cache.rglob("snapshots/*"))
    # Shaped like HfApi().model_info(files_metadata=True): size, LFS sha256, git blob id.
    with pytest.raises(BuilderError, match="model.bin is 75537502 bytes, the Hub recorded 1"):
        verify_files(snapshot, {}, {"model.bin": {"size": 1, "sha256": None, "sha1": None}})
    with pytest.raises(BuilderError, match="config.json does not match"):
        verify_files(snapshot, {}, {"config.json": {"size": None, "sha256": None, "sha1": "0" * 40}})
    verify_files(snapshot, TINY_EN.files, {})


def test_hf_repo_with_a_branch_records_the_resolved_commit(tmp_path, hf_cache, handler_dir):
    result = run_cli("build", "--hf-repo", TINY_EN.repo, "--revision", "main", "--handler-dir", str(handler_dir),
                     "--wheels", "none", "--output", str(tmp_path / "out"),
                     env={"HF_HUB_OFFLINE": "1", "HF_HUB_CACHE": str(hf_cache), "HF_HOME": str(tmp_path / "hf")})
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["model"]["revision"] == TINY_EN.revision


def test_base_from_setup_carries_the_pinned_hub_bytes(base_dir):
    from builder.fetch import verify_files
    from builder.models import model_spec

    pinned = model_spec("base").files
    assert set(pinned) == {"config.json", "model.bin", "tokenizer.json", "vocabulary.txt"}
    verify_files(base_dir, pinned, {})  # raises on any size or sha256 that differs
