"""Inputs/outputs tables for a Terraform module's README, generated from its code.

terraform-docs would need another Go build here; this reads ``variables.tf`` and
``outputs.tf`` as ``tofu fmt`` lays them out (the tests enforce fmt) and rewrites the part
of README.md between the BEGIN_TF_DOCS / END_TF_DOCS markers. Types and defaults are
shown exactly as written. Standard library only.

    python scripts/terraform_docs.py modules/whisper_sagemaker           # rewrite
    python scripts/terraform_docs.py --check modules/whisper_sagemaker   # exit 1 on drift
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path

BEGIN = "<!-- BEGIN_TF_DOCS -->"
END = "<!-- END_TF_DOCS -->"
BLOCK = re.compile(r'^(variable|output) "([^"]+)" \{\n(.*?)^\}', re.M | re.S)
ATTRIBUTE = re.compile(r"^  (\w+)\s*=\s*(.*)", re.S)


def _attributes(body: str) -> dict[str, str]:
    """Top-level attributes of a fmt-formatted block body, values as source text."""
    attrs: dict[str, str] = {}
    current = None
    for line in body.splitlines():
        starts_item = line.startswith("  ") and not line.startswith("   ") and not line.startswith("  }")
        if starts_item:
            match = ATTRIBUTE.match(line)
            current = match.group(1) if match else None  # nested blocks (validation) end the attribute
            if match:
                attrs[current] = match.group(2)
        elif current is not None:
            attrs[current] += "\n" + line
    return {k: v.strip() for k, v in attrs.items()}


def _blocks(path: Path, kind: str) -> list[tuple[str, dict[str, str]]]:
    if not path.exists():
        return []
    return [(m.group(2), _attributes(m.group(3))) for m in BLOCK.finditer(path.read_text()) if m.group(1) == kind]


def _text(value: str) -> str:
    """An HCL string literal's text (JSON escapes are a subset of HCL's)."""
    return json.loads(value) if value.startswith('"') else value


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def render(module_dir: Path) -> str:
    """The markdown tables for ``module_dir``."""
    lines = ["## Inputs", "", "| Name | Description | Type | Default | Required |", "|---|---|---|---|:---:|"]
    for name, attrs in sorted(_blocks(module_dir / "variables.tf", "variable")):
        default = f"`{_cell(attrs['default'])}`" if "default" in attrs else "n/a"
        required = "no" if "default" in attrs else "yes"
        description = _cell(_text(attrs.get("description", '""')))
        lines.append(f"| `{name}` | {description} "
                     f"| `{_cell(attrs.get('type', 'any'))}` | {default} | {required} |")
    lines += ["", "## Outputs", "", "| Name | Description |", "|---|---|"]
    for name, attrs in sorted(_blocks(module_dir / "outputs.tf", "output")):
        description = _cell(_text(attrs.get("description", '""')))
        lines.append(f"| `{name}` | {description} |")
    return "\n".join(lines)


def updated_readme(readme: str, tables: str) -> str:
    """``readme`` with the text between the markers replaced by ``tables``."""
    if BEGIN not in readme or END not in readme:
        raise ValueError(f"README has no {BEGIN} ... {END} section")
    head, rest = readme.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{BEGIN}\n{tables}\n{END}{tail}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="+", type=Path, help="module directories (each with a README.md)")
    parser.add_argument("--check", action="store_true", help="report drift instead of rewriting")
    args = parser.parse_args(argv)
    stale = []
    for module in args.modules:
        readme_path = module / "README.md"
        try:
            readme = readme_path.read_text()
            new = updated_readme(readme, render(module))
        except (OSError, ValueError) as exc:
            print(f"ERROR: {readme_path}: {exc}", file=sys.stderr)
            return 1
        if new != readme:
            stale.append(str(readme_path))
            if not args.check:
                readme_path.write_text(new)
    if stale and args.check:
        print(f"ERROR: generated tables out of date in {', '.join(stale)}: "
              f"run python scripts/terraform_docs.py {' '.join(map(str, args.modules))}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
