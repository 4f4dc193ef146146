"""HCL formatting and linting (fmt, tflint), model-size lists, checkov and generated README tables."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import hcl2
import lca_contract
from terraform_testlib import LCA_MODULE, MODULE, REPO, Cli, point_at_local_aws

from builder.models import MODELS

HCL_ROOTS = [REPO / "modules", REPO / "examples"]
ROOT_FILES = ["main.tf", "variables.tf", "outputs.tf", "versions.tf"]
TFLINT = REPO / "scripts" / "tflint"
# LCA's WhisperModelSize allowed values, in its order (docs/lca-contract.md).
LCA_SIZES = lca_contract.model_sizes()


def test_hcl_is_formatted(cli: Cli) -> None:
    for path in HCL_ROOTS:
        cli.run("fmt", "-check", "-diff", "-recursive", str(path))
    cli.run("fmt", "-check", "-diff", *[str(REPO / f) for f in ROOT_FILES])


def test_fmt_check_catches_misformatting(tofu: Cli, tmp_path: Path) -> None:
    (tmp_path / "bad.tf").write_text('locals {\na="x"\n}\n')
    assert tofu.run("fmt", "-check", str(tmp_path), check=False).returncode != 0


def _user_roots() -> list[Path]:
    """The roots a user applies: the repository's own and every example."""
    return [REPO, *sorted(p.parent for p in REPO.glob("examples/*/main.tf"))]


def test_the_roots_users_apply_carry_no_local_aws_wiring() -> None:
    """Pointing the provider at the local AWS is an override file's job (demo.terraform.point_at_local_aws)."""
    for root in _user_roots():
        for path in root.glob("*.tf"):
            doc = hcl2.loads(path.read_text())
            for provider in doc.get("provider", []):
                for body in provider.values():
                    wiring = {"endpoints", "dynamic", "skip_credentials_validation", "s3_use_path_style"} & set(body)
                    assert not wiring, f"{path.relative_to(REPO)}: provider sets {sorted(wiring)}"
            names = [name.strip('"') for variable in doc.get("variable", []) for name in variable]
            assert not [n for n in names if "endpoint_url" in n], f"{path.relative_to(REPO)}: {names}"


def test_the_local_aws_override_is_formatted_hcl_for_the_roots_provider(tofu: Cli, tmp_path: Path) -> None:
    written = point_at_local_aws(tmp_path, "http://127.0.0.1:5000")
    assert written.name.endswith("_override.tf")  # merged into the root's provider block, not a second one
    tofu.run("fmt", "-check", "-diff", str(written))
    (provider,) = hcl2.loads(written.read_text())["provider"]
    endpoints = provider['"aws"']["endpoints"][0]
    assert {v.strip('"') for k, v in endpoints.items() if k != "__is_block__"} == {"http://127.0.0.1:5000"}
    assert {"sagemaker", "s3", "iam", "sts", "applicationautoscaling"} <= set(endpoints)


def _hcl_size_lists() -> dict[str, list[str]]:
    """Every list of model sizes written out in the HCL (validations, CloudFormation AllowedValues)."""
    found = {}
    for path in [*REPO.glob("*.tf"), *REPO.glob("modules/**/*.tf"), *REPO.glob("examples/**/*.tf")]:
        text = path.read_text()
        for n, match in enumerate(re.finditer(r'\[("tiny"[^\]]*)\]', text)):
            found[f"{path.relative_to(REPO)}#{n}"] = re.findall(r'"([^"]+)"', match.group(1))
        for n, match in enumerate(re.finditer(r"one of (tiny, [^\"]*?)\.?\"", text)):
            found[f"{path.relative_to(REPO)}:message#{n}"] = match.group(1).split(", ")
    return found


def test_literal_model_size_lists_are_lcas_and_buildable() -> None:
    lists = _hcl_size_lists()
    assert len(lists) >= 3, lists  # modules/lca: the validation, its message, the shim's AllowedValues
    for where, sizes in lists.items():
        assert sizes == LCA_SIZES, where
        # the builder (builder.models, from builder/pins.json) can build every size LCA may ask for
        assert set(sizes) <= set(MODELS), f"{where}: {set(sizes) - set(MODELS)} unknown to builder.models"


def test_tflint_recommended_preset_is_clean() -> None:
    """tflint's terraform ruleset ("recommended") on the root, every module and every example."""
    proc = subprocess.run([str(TFLINT), "--recursive", f"--config={REPO / '.tflint.hcl'}", "--format=compact"],
                          cwd=REPO, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0 and proc.stdout.strip() == "", proc.stdout + proc.stderr


def test_tflint_reports_a_dead_local(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('terraform {\n  required_version = ">= 1.6"\n}\n\nlocals {\n  unused = 1\n}\n')
    proc = subprocess.run([str(TFLINT), f"--chdir={tmp_path}", f"--config={REPO / '.tflint.hcl'}", "--format=compact"],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode != 0 and "terraform_unused_declarations" in proc.stdout, proc.stdout + proc.stderr


def test_checkov_passes_with_justified_skips(tools_bin: Path, tmp_path: Path) -> None:
    report = tmp_path / "checkov"
    proc = subprocess.run(
        [str(tools_bin / "checkov"), "--compact", "--framework", "terraform", "--skip-download",
         "-o", "json", "--output-file-path", str(report),
         "-d", str(REPO), "--skip-path", r"\.venv", "--skip-path", r"\.terraform", "--skip-path", "tests"],
        capture_output=True, text=True, timeout=600, cwd=REPO)
    results = json.loads((report / "results_json.json").read_text())
    results = results if isinstance(results, list) else [results]
    failed = [f"{c['check_id']} {c['resource']} {c['file_path']}" for r in results
              for c in r.get("results", {}).get("failed_checks", [])]
    assert proc.returncode == 0 and not failed, "\n".join(failed) or proc.stderr
    # checkov parses every .tf file: the only HCL syntax check possible without the aws provider
    assert all(r.get("summary", {}).get("parsing_errors", 1) == 0 for r in results), results
    passed = sum(len(r.get("results", {}).get("passed_checks", [])) for r in results)
    assert passed > 20  # checkov really scanned the resources
    skipped = [c for r in results for c in r.get("results", {}).get("skipped_checks", [])]
    for check in skipped:  # every skip says why, in place
        comment = check.get("suppress_comment") or check.get("check_result", {}).get("suppress_comment") or ""
        assert len(comment.strip()) > 15, check["check_id"]


def test_readme_tables_match_the_code() -> None:
    proc = subprocess.run([sys.executable, str(REPO / "scripts" / "terraform_docs.py"), "--check",
                           str(MODULE), str(LCA_MODULE), str(REPO)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr


def test_docs_check_detects_drift(tmp_path: Path) -> None:
    (tmp_path / "variables.tf").write_text('variable "x" {\n  description = "An x."\n  type = string\n}\n')
    (tmp_path / "README.md").write_text("# m\n<!-- BEGIN_TF_DOCS -->\n<!-- END_TF_DOCS -->\n")
    script = str(REPO / "scripts" / "terraform_docs.py")
    check = [sys.executable, script, "--check", str(tmp_path)]
    assert subprocess.run(check, capture_output=True, timeout=60).returncode == 1
    subprocess.run([sys.executable, script, str(tmp_path)], check=True, timeout=60)
    assert "| `x` | An x. | `string` | n/a | yes |" in (tmp_path / "README.md").read_text()
    assert subprocess.run(check, capture_output=True, timeout=60).returncode == 0
