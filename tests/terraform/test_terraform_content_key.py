"""The module computes the builder's content key in HCL (modules/content_key): prove that
OpenTofu and Terraform, evaluating it for real, get what `python -m builder plan` prints,
for every model size and every layout/wheels option, and that both sides ignore the same
edits (the handler's docs, its local-only files) and see the same ones (the code it serves)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from terraform_testlib import MODULE, REPO, Cli

from builder.models import LOCAL_ONLY, MODELS
from builder.plan import Selection, canonical_json, content_inputs

CONTENT_KEY_MODULE = MODULE / "modules" / "content_key"
# Every size with the module's defaults, then the other options on one size.
CASES = {size: {"model_size": size} for size in MODELS} | {
    "uncompressed": {"model_size": "tiny.en", "layout": "uncompressed", "prefix": "/a/b/"},
    "no-wheels": {"model_size": "large-v3", "wheels": "none", "prefix": ""},
}
# What HCL's jsonencode must write exactly as builder.plan.canonical_json does.
TRICKY = {"b": "<a&b>", "a": [0, None, "caf\u00e9\u2028", 9], "c": {"y": True, "x": ""}}


def _apply_root(cli: Cli, root: Path, builder_dir: Path, cases: dict) -> dict:
    """One provider-free root: a content_key module per case; returns its outputs."""
    root.mkdir(parents=True)
    (root / "tricky.json").write_text(json.dumps(TRICKY))
    (root / "main.tf").write_text(
        f"locals {{\n  cases = jsondecode({json.dumps(json.dumps(cases))})\n}}\n"
        'module "key" {\n  for_each    = local.cases\n'
        f"  source      = {json.dumps(str(CONTENT_KEY_MODULE))}\n"
        f"  builder_dir = {json.dumps(str(builder_dir))}\n"
        "  model_size  = each.value.model_size\n"
        '  prefix      = try(each.value.prefix, "whisper")\n'
        '  layout      = try(each.value.layout, "tar.gz")\n'
        '  wheels      = try(each.value.wheels, "vendor")\n}\n'
        'output "keys" {\n  value = { for name, key in module.key : name => '
        "{ content_key = key.content_key, s3_key = key.s3_key, inputs_json = key.inputs_json } }\n}\n"
        'output "tricky" {\n  value = jsonencode(jsondecode(file("${path.module}/tricky.json")))\n}\n')
    cli.init(root)
    cli.run("apply", "-auto-approve", "-input=false", cwd=root)
    return cli.outputs(root)


def _builder_plan(case: dict, handler_dir: Path | None = None) -> dict:
    args = ["plan", "--model-size", case["model_size"], "--layout", case.get("layout", "tar.gz"),
            "--wheels", case.get("wheels", "vendor"), "--prefix", case.get("prefix", "whisper")]
    if handler_dir:
        args += ["--handler-dir", str(handler_dir)]
    proc = subprocess.run([sys.executable, "-m", "builder", *args], capture_output=True, text=True, cwd=REPO,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.fixture(scope="module")
def evaluated(cli: Cli, tmp_path_factory: pytest.TempPathFactory) -> dict:
    return _apply_root(cli, tmp_path_factory.mktemp(f"content-key-{cli.name}") / "root", REPO, CASES)


@pytest.mark.parametrize("case", CASES)
def test_hcl_key_is_the_builders(evaluated: dict, case: str) -> None:
    hcl = evaluated["keys"][case]
    planned = _builder_plan(CASES[case])
    selection = Selection(model_size=CASES[case]["model_size"], layout=CASES[case].get("layout", "tar.gz"),
                          wheels=CASES[case].get("wheels", "vendor"))
    assert hcl["inputs_json"] == canonical_json(content_inputs(selection))  # the diff to read when keys differ
    assert (hcl["content_key"], hcl["s3_key"]) == (planned["content_key"], planned["s3_key"])


def test_jsonencode_writes_the_canonical_json(evaluated: dict) -> None:
    assert evaluated["tricky"] == canonical_json(TRICKY)


def test_docs_edit_keeps_the_key_and_a_code_edit_changes_it_on_both_sides(
        cli: Cli, tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    shutil.copytree(REPO / "builder", tree / "builder", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "inference", tree / "inference", ignore=shutil.ignore_patterns("__pycache__"))
    case = {"model_size": "tiny.en"}
    before = _builder_plan(case, tree / "inference")["content_key"]
    with open(tree / "inference" / "README.md", "a") as readme:
        readme.write(" ")
    for name in LOCAL_ONLY:  # code the endpoint never runs: out of the key like the docs
        with open(tree / "inference" / name, "a") as local_only:
            local_only.write("\n")
    docs = _builder_plan(case, tree / "inference")["content_key"]
    hcl_docs = _apply_root(cli, tmp_path / "root-docs", tree, {"x": case})["keys"]["x"]["content_key"]
    with open(tree / "inference" / "handler.py", "a") as handler:
        handler.write("\n")
    code = _builder_plan(case, tree / "inference")["content_key"]
    hcl = _apply_root(cli, tmp_path / "root", tree, {"x": case})["keys"]["x"]["content_key"]
    assert docs == before and code != before
    assert hcl_docs == before and hcl == code


def test_unknown_model_size_names_the_known_ones(cli: Cli, tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (root / "main.tf").write_text(
        f'module "key" {{\n  source      = {json.dumps(str(CONTENT_KEY_MODULE))}\n'
        f'  builder_dir = {json.dumps(str(REPO))}\n  model_size  = "huge"\n}}\n'
        'output "s3_key" {\n  value = module.key.s3_key\n}\n')
    cli.init(root)
    proc = cli.run("plan", "-input=false", cwd=root, check=False)
    message = " ".join((proc.stdout + proc.stderr).split())
    assert proc.returncode != 0
    assert 'model_size "huge" is not pinned in builder/pins.json' in message
    assert "large-v2" in message and "tiny.en" in message
