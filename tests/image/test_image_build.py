"""``python -m serving_image build`` against a real registry: the pushed image is the base's layers
plus our one layer, and its config carries SageMaker's streaming label, our entrypoint and
environment. The Dockerfile states the same image."""

from __future__ import annotations

import json
import re
import tarfile

import pytest
from image_testlib import BASE_CONFIG, REPO, crane, crane_blob, crane_json

from serving_image import spec
from serving_image.__main__ import main


def build(capsys, base: str, tag: str) -> str:
    assert main(["build", "--base", base, "--tag", tag]) == 0
    return capsys.readouterr().out.strip()


def test_pushed_image_has_the_label_entrypoint_and_environment_over_the_bases_layers(capsys, registry, base_image):
    tag = f"{registry}/whisper-serving:streaming"
    reference = build(capsys, base_image, tag)

    assert reference == f"{registry}/whisper-serving@{crane('digest', tag)}"
    config = crane_json("config", reference)["config"]
    assert config["Labels"][spec.STREAMING_LABEL] == "true"
    assert config["Labels"] == {**BASE_CONFIG["Labels"], **spec.LABELS}  # the base's labels stay
    assert config["Entrypoint"] == spec.ENTRYPOINT and config["Cmd"] == spec.CMD
    env = dict(line.split("=", 1) for line in config["Env"])
    assert env == {**dict(line.split("=", 1) for line in BASE_CONFIG["Env"]), **spec.ENV}  # PATH kept

    base_layers = crane_json("manifest", base_image)["layers"]
    layers = crane_json("manifest", reference)["layers"]
    assert layers[:-1] == base_layers
    assert layers[-1]["mediaType"] == base_layers[0]["mediaType"]  # Docker's, as the DLC's


def test_the_added_layer_holds_only_the_entrypoint_script(registry, base_image, capsys, tmp_path):
    reference = build(capsys, base_image, f"{registry}/whisper-serving:layer")
    digest = crane_json("manifest", reference)["layers"][-1]["digest"]
    blob = tmp_path / "layer.tar.gz"
    blob.write_bytes(crane_blob(f"{registry}/whisper-serving@{digest}"))
    with tarfile.open(blob) as tar:
        members = tar.getmembers()
        assert [m.name for m in members] == [spec.ENTRYPOINT_PATH.lstrip("/")]
        assert members[0].mode == 0o755 and members[0].uid == 0
        assert tar.extractfile(members[0]).read() == spec.ENTRYPOINT_SOURCE.read_bytes()


def test_the_same_base_gives_the_same_image(registry, base_image, capsys):
    first = build(capsys, base_image, f"{registry}/whisper-serving:first")
    second = build(capsys, base_image, f"{registry}/whisper-serving:second")
    assert first.split("@")[1] == second.split("@")[1]


def test_a_base_that_is_not_there_is_one_error_line(registry, capsys):
    assert main(["build", "--base", f"{registry}/dlc:missing", "--tag", f"{registry}/whisper-serving:x"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("ERROR: crane mutate failed:") and "missing" in err[0]


def test_the_dockerfile_states_the_same_image():
    text = (REPO / "serving_image" / "Dockerfile").read_text()
    instructions = re.findall(r"^([A-Z]+) ((?:.*\\\n)*.+)", text, re.M)  # a continued line ends in a backslash
    by_name = {}
    for name, rest in instructions:
        by_name.setdefault(name, []).append(rest.replace("\\\n", " "))
    assert by_name["FROM"] == ["${BASE_IMAGE}"]
    assert by_name["COPY"] == [f"--chmod=0755 {spec.ENTRYPOINT_SOURCE.name} {spec.ENTRYPOINT_PATH}"]
    assert parse_pairs(" ".join(by_name["LABEL"])) == spec.LABELS
    assert parse_pairs(" ".join(by_name["ENV"])) == spec.ENV
    assert by_name["ENTRYPOINT"] == [json_list(spec.ENTRYPOINT)] and by_name["CMD"] == [json_list(spec.CMD)]


def parse_pairs(text: str) -> dict[str, str]:
    return {key: value for key, value in re.findall(r'([\w.-]+)="([^"]*)"', text)}


def json_list(items: list[str]) -> str:
    return json.dumps(items)


@pytest.mark.parametrize("argv", [["build", "--tag", "x:y"], ["build", "--base", "x:y"], []])
def test_missing_arguments_are_usage_errors(argv):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
