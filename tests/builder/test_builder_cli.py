"""The size map and the command line's help and error paths."""

from __future__ import annotations

import json

import lca_contract
import pytest

from builder.__main__ import main
from builder.errors import BuilderError
from builder.models import MODELS, is_commit, model_spec

# WhisperModelSize's allowed values in LCA's order (docs/lca-contract.md).
LCA_SIZES = lca_contract.model_sizes()


def test_every_lca_size_and_the_extras_map_to_a_pinned_commit():
    for size in LCA_SIZES + ["large-v3-turbo", "distil-large-v3"]:
        spec = model_spec(size)
        assert is_commit(spec.revision), size
        assert "/" in spec.repo
    assert model_spec("large").repo == "Systran/faster-whisper-large-v2"
    assert list(MODELS)[:len(LCA_SIZES)] == LCA_SIZES


def test_unknown_size_lists_the_valid_ones():
    with pytest.raises(BuilderError, match="unknown model size 'huge'.*tiny.en.*large-v3-turbo"):
        model_spec("huge")


def test_list_models_prints_every_size(capsys):
    assert main(["list-models", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["size"] for r in rows] == list(MODELS)
    assert main(["list-models"]) == 0
    table = capsys.readouterr().out
    assert "distil-large-v3" in table and MODELS["tiny.en"].revision in table


def test_help_explains_the_commands(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["build", "--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    for option in ("--model-size", "--model-dir", "--hf-repo", "--revision", "--output", "--bucket",
                   "--kms-key-id", "--s3-endpoint-url", "--layout", "--wheels"):
        assert option in text


@pytest.mark.parametrize(("argv", "status", "message"), [
    (["plan", "--model-size", "huge"], 2, "ERROR: unknown model size 'huge'; valid sizes: tiny,"),
    (["plan"], 2, "ERROR: choose exactly one of --model-size, --model-dir, --hf-repo"),
    (["plan", "--model-size", "tiny", "--hf-repo", "a/b"], 2, "ERROR: choose exactly one"),
    (["build", "--model-size", "tiny", "--output", "x", "--gzip-level", "12"], 2, "ERROR: --gzip-level must be 0-9"),
    (["build", "--model-size", "tiny", "--output", "x", "--kms-key-id", "k"], 2, "ERROR: --kms-key-id needs --bucket"),
    (["plan", "--hf-repo", "Systran/faster-whisper-tiny"], 1, "ERROR: revision 'main' of Systran/faster-whisper-tiny"
                                                            " is a branch or tag"),
])
def test_cli_errors_are_one_line_usage_2_runtime_1(capsys, argv, status, message):
    assert main(argv) == status
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(message)


def test_argparse_usage_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["build", "--model-size", "tiny"])  # --output missing
    assert exit_info.value.code == 2
    assert "--output" in capsys.readouterr().err


def test_stdin_query_errors_are_usage_errors(capsys, monkeypatch):
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO('{"model_size": "tiny", "colour": "red"}'))
    assert main(["plan", "--stdin"]) == 2
    assert capsys.readouterr().err.strip() == "ERROR: unknown query keys: colour"


@pytest.mark.parametrize("output, reason", [("file", "File exists"), ("/dev/null/out", "Not a directory")])
def test_an_unusable_output_is_one_line_with_the_reason(tmp_path, capsys, model_dir, handler_dir, output, reason):
    if output == "file":
        output = tmp_path / "file"
        output.write_text("not a directory")
    assert main(["build", "--model-dir", str(model_dir), "--handler-dir", str(handler_dir), "--wheels", "none",
                 "--output", str(output)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"ERROR: cannot use {output}: {reason}"]


def test_model_dir_that_is_not_a_whisper_model(tmp_path, capsys, handler_dir):
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "config.json").write_text("{}")
    assert main(["build", "--model-dir", str(tmp_path / "m"), "--handler-dir", str(handler_dir),
                 "--wheels", "none", "--output", str(tmp_path / "out")]) == 1
    assert "is not a CTranslate2 Whisper model: missing model.bin, tokenizer.json, vocabulary.*" in \
        capsys.readouterr().err
    assert not (tmp_path / "out" / "model.tar.gz").exists()


def test_debug_shows_the_traceback(capsys):
    assert main(["--debug", "plan", "--hf-repo", "Systran/faster-whisper-tiny"]) == 1
    assert "Traceback" in capsys.readouterr().err
