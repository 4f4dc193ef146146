"""HCL formatting, LCA-parameter validation (tofu test), checkov and generated README tables."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from terraform_testlib import LCA_MODULE, MODULE, REPO, Tofu

HCL_ROOTS = [REPO / "modules", REPO / "examples"]
ROOT_FILES = ["main.tf", "variables.tf", "outputs.tf", "versions.tf"]


def test_hcl_is_formatted(tofu: Tofu) -> None:
    for path in HCL_ROOTS:
        tofu.run("fmt", "-check", "-diff", "-recursive", str(path))
    tofu.run("fmt", "-check", "-diff", *[str(REPO / f) for f in ROOT_FILES])


def test_fmt_check_catches_misformatting(tofu: Tofu, tmp_path: Path) -> None:
    (tmp_path / "bad.tf").write_text('locals {\na="x"\n}\n')
    assert tofu.run("fmt", "-check", str(tmp_path), check=False).returncode != 0


def test_lca_parameters_validate_like_lca(tofu: Tofu) -> None:
    """modules/lca/tests/lca.tftest.hcl: LCA's defaults, and each bad value rejected."""
    tofu.run("-chdir=" + str(LCA_MODULE), "init", "-input=false", "-backend=false")
    proc = tofu.run("-chdir=" + str(LCA_MODULE), "test", check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "13 passed, 0 failed" in proc.stdout, proc.stdout


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
