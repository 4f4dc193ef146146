"""What our HCL uses of hashicorp/aws, checked against a provider schema (``providers schema -json``).

Parsed with python-hcl2, a full HCL2 grammar, rather than with OpenTofu's own output: the CLI
shows configuration (``show -json`` of a plan) only after ``init`` with real providers and a
plan that succeeds, once per root, and never for ``*.tftest.hcl`` mock blocks; python-hcl2
reads every file offline in milliseconds and keeps blocks (``__is_block__``) apart from
attributes (``tags = {...}``), which is what an argument check needs. Expressions stay
source text: references are read from them with one pattern (``[data.]aws_T.NAME.attr...``),
kept only where the module declares ``aws_T.NAME``.

Checked for every ``resource``/``data`` block of an ``aws_*`` type: the type exists; every
argument and nested block (``dynamic`` included) exists; required arguments and blocks are
set; no computed-only attribute is set. For every reference: each attribute step exists
(indexes are skipped). Either way, nothing the schema marks deprecated (only the provider
binary's own schema carries those marks). For test files: ``mock_resource``/``mock_data``
defaults and ``override_*`` values name attributes that exist.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import hcl2

META = {"count", "for_each", "provider", "depends_on", "lifecycle", "provisioner", "connection"}
REFERENCE = re.compile(r"(?<![\w.])(data\.)?(aws_\w+)\.([A-Za-z_][\w-]*)((?:\[[^\[\]]*\]|\.[A-Za-z_*][\w-]*)*)")
STEP = re.compile(r"\.([A-Za-z_][\w-]*)")
INDEX = re.compile(r"\[[^\[\]]*\]")
KINDS = {"resource": "resource_schemas", "data": "data_source_schemas"}


@dataclass(frozen=True)
class Block:
    """One ``resource``/``data`` block (or a test file's mock/override of one)."""

    kind: str  # "resource" | "data"
    type: str
    name: str
    where: str  # file (relative) and address, for messages
    body: dict  # python-hcl2's dict; for mocks and overrides, just {attribute: value}
    is_mock: bool = False


@dataclass(frozen=True)
class Reference:
    kind: str
    type: str
    name: str
    steps: tuple[str, ...]
    where: str


@dataclass(frozen=True)
class Usage:
    blocks: tuple[Block, ...]
    references: tuple[Reference, ...]

    def types(self) -> set[tuple[str, str]]:
        return {(b.kind, b.type) for b in self.blocks}


def _unquote(label: str) -> str:
    return label[1:-1] if label.startswith('"') and label.endswith('"') else label


def _strings(value):
    """Every string leaf of a python-hcl2 value (keys included: object keys can be expressions)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            if not key.startswith("__"):
                yield key
                yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _target(expression: str) -> tuple[str, str, str] | None:
    match = REFERENCE.search(expression)
    return ("data" if match.group(1) else "resource", match.group(2), match.group(3)) if match else None


def _test_blocks(doc: dict, where: str):
    """Mocks and overrides of aws_* types anywhere in a ``*.tftest.hcl`` document."""
    for key, value in doc.items() if isinstance(doc, dict) else ():
        items = value if isinstance(value, list) else [value]
        if key in ("mock_resource", "mock_data"):
            for item in items:
                for label, body in item.items():
                    kind = "resource" if key == "mock_resource" else "data"
                    yield Block(
                        kind,
                        _unquote(label),
                        "mock",
                        f"{where}: {key} {label}",
                        dict(body.get("defaults", {})),
                        is_mock=True,
                    )
        elif key in ("override_resource", "override_data"):
            for item in items:
                if target := _target(str(item.get("target", ""))):
                    yield Block(
                        *target, f"{where}: {key} {'.'.join(target[1:])}", dict(item.get("values", {})), is_mock=True
                    )
        if isinstance(value, (dict, list)):
            for item in items:
                if isinstance(item, dict):
                    yield from _test_blocks(item, where)


def _module_dir(path: Path) -> Path:
    return path.parent.parent if path.parent.name == "tests" and path.name.endswith(".tftest.hcl") else path.parent


def scan(repo: Path, files: list[Path]) -> Usage:
    """The aws_* blocks of ``files`` and the references each module makes to its own."""
    docs = {path: hcl2.loads(path.read_text()) for path in files}
    blocks: list[Block] = []
    declared: set[tuple[Path, str, str, str]] = set()
    for path, doc in docs.items():
        rel = path.relative_to(repo)
        for kind in KINDS:
            for item in doc.get(kind, []):
                for type_label, named in item.items():
                    for name_label, body in named.items():
                        resource_type, name = _unquote(type_label), _unquote(name_label)
                        declared.add((_module_dir(rel), kind, resource_type, name))
                        if resource_type.startswith("aws_"):
                            address = f"{'data.' if kind == 'data' else ''}{resource_type}.{name}"
                            blocks.append(Block(kind, resource_type, name, f"{rel}: {address}", body))
        if not path.name.endswith(".tftest.hcl"):
            continue
        for mock in doc.get("mock_provider", []):
            if any(_unquote(label).split(".")[0] == "aws" for label in mock):
                blocks.extend(_test_blocks(mock, str(rel)))
        blocks.extend(_test_blocks({k: v for k, v in doc.items() if k != "mock_provider"}, str(rel)))
    references = set()
    for path, doc in docs.items():
        rel = path.relative_to(repo)
        for text in _strings(doc):
            for match in REFERENCE.finditer(text):
                kind = "data" if match.group(1) else "resource"
                if (_module_dir(rel), kind, match.group(2), match.group(3)) in declared:
                    steps = tuple(STEP.findall(INDEX.sub("", match.group(4))))  # not [count.index]
                    references.add(Reference(kind, match.group(2), match.group(3), steps, f"{rel}: {match.group(0)}"))
    return Usage(tuple(blocks), tuple(sorted(references, key=lambda r: r.where)))


def _computed_only(attribute: dict) -> bool:
    return bool(attribute.get("computed")) and not attribute.get("optional") and not attribute.get("required")


def _attribute_as_block(attribute: dict | None) -> dict | None:
    """A list/set-of-objects attribute written as blocks (Terraform's "attributes as blocks")."""
    cty = (attribute or {}).get("type")
    if isinstance(cty, list) and cty[0] in ("list", "set") and isinstance(cty[1], list) and cty[1][0] == "object":
        return {"attributes": {key: {"type": t, "optional": True} for key, t in cty[1][1].items()}}
    return None


def _body_problems(body: dict, block: dict, where: str, top: bool) -> list[str]:
    attributes, nested = block.get("attributes", {}), block.get("block_types", {})
    problems, seen = [], set()
    for key, value in body.items():
        if key.startswith("__") or (top and key in META):
            continue
        if key == "dynamic":
            instances = [
                (_unquote(label), content)
                for item in value
                for label, spec in item.items()
                for content in spec.get("content", [])
            ]
        else:
            instances = [
                (key, item)
                for item in (value if isinstance(value, list) else [value])
                if isinstance(item, dict) and item.get("__is_block__")
            ]
        if key != "dynamic" and not instances:
            seen.add(key)
            if key not in attributes:
                problems.append(f"{where}: unknown argument {key!r}" + (" (a nested block)" if key in nested else ""))
            elif _computed_only(attributes[key]):
                problems.append(f"{where}: {key!r} is computed-only, it cannot be set")
            elif attributes[key].get("deprecated"):
                problems.append(f"{where}: {key!r} is deprecated")
        for name, content in instances:
            seen.add(name)
            inner = nested[name]["block"] if name in nested else _attribute_as_block(attributes.get(name))
            if inner is None:
                problems.append(f"{where}: unknown block {name!r}" + (" (an attribute)" if name in attributes else ""))
            elif inner.get("deprecated"):
                problems.append(f"{where}: block {name!r} is deprecated")
            else:
                problems += _body_problems(content, inner, f"{where}.{name}", top=False)
    missing = [k for k, a in attributes.items() if a.get("required") and k not in seen]
    problems += [f"{where}: required argument {k!r} missing" for k in missing]
    missing = [k for k, b in nested.items() if b.get("min_items", 0) > 0 and k not in seen]
    problems += [f"{where}: required block {k!r} missing" for k in missing]
    return problems


def _mock_problems(block: Block, schema: dict) -> list[str]:
    known = set(schema.get("attributes", {})) | set(schema.get("block_types", {}))
    unknown = [key for key in block.body if not key.startswith("__") and key not in known]
    return [f"{block.where}: no attribute {key!r}" for key in unknown]


def _step_problem(schema: dict, steps: tuple[str, ...]) -> str | None:
    """Why the attribute path ``steps`` does not exist in a block ``schema`` (None if it does)."""
    node, kind = schema, "block"
    for step in steps:
        if kind == "block":
            if step in node.get("attributes", {}):
                if node["attributes"][step].get("deprecated"):
                    return f"{step!r} is deprecated"
                node, kind = node["attributes"][step]["type"], "type"
            elif step in node.get("block_types", {}):
                node = node["block_types"][step]["block"]
            else:
                return f"no attribute {step!r}"
            continue
        while isinstance(node, list) and node[0] in ("list", "set"):
            node = node[1]  # an index or splat the pattern skipped
        if isinstance(node, list) and node[0] == "map":
            node = node[1]  # .key on a map
        elif isinstance(node, list) and node[0] == "object":
            if step not in node[1]:
                return f"no attribute {step!r}"
            node = node[1][step]
        elif node != "dynamic":
            return f"{step!r} read from a {node} value"
    return None


def problems(usage: Usage, provider: dict) -> list[str]:
    """Everything in ``usage`` that ``provider`` (one provider_schemas entry) lacks or forbids."""
    out = []
    for block in usage.blocks:
        schema = provider[KINDS[block.kind]].get(block.type)
        if schema is None:
            out.append(f"{block.where}: no {block.kind} type {block.type!r}")
        elif block.is_mock:
            out += _mock_problems(block, schema["block"])
        else:
            out += _body_problems(block.body, schema["block"], block.where, top=True)
    for ref in usage.references:
        schema = provider[KINDS[ref.kind]].get(ref.type)
        if schema is not None and (problem := _step_problem(schema["block"], ref.steps)):
            out.append(f"{ref.where}: {problem}")
    return out


def attribute_flags(block: dict, prefix: str = "") -> dict[str, str]:
    """Every attribute path of a block schema (``production_variants.model_name``) -> its flags.

    Nested blocks count as paths too (flags "block"), and so do the fields of list/set-of-object
    attributes, so a block in one schema and an attribute written as blocks in the other agree.
    """
    out = {}
    for name, attribute in block.get("attributes", {}).items():
        out[prefix + name] = "+".join(k for k in ("required", "optional", "computed") if attribute.get(k))
        if inner := _attribute_as_block(attribute):
            out.update((k, "") for k in attribute_flags(inner, f"{prefix}{name}."))
    for name, nested in block.get("block_types", {}).items():
        out[prefix + name] = "block"
        out.update(attribute_flags(nested["block"], f"{prefix}{name}."))
    return out


def _tops(names: set[str]) -> list[str]:
    """``names`` without those inside another of them (a new block, not all its arguments too)."""
    return sorted(n for n in names if not any(n.startswith(other + ".") for other in names))


def differences(usage: Usage, new: dict, old: dict) -> list[str]:
    """For each type ``usage`` has: what only one of two provider schemas has, and changed flags."""
    lines = []
    for kind, resource_type in sorted(usage.types()):
        a, b = (attribute_flags(p[KINDS[kind]].get(resource_type, {}).get("block", {})) for p in (new, old))
        label = f"{'data.' if kind == 'data' else ''}{resource_type}"
        if only := _tops(set(a) - set(b)):
            lines.append(f"{label}: only in the newer: {', '.join(only)}")
        if only := _tops(set(b) - set(a)):
            lines.append(f"{label}: only in the older: {', '.join(only)}")
        changed = [
            f"{n} {b[n]} -> {a[n]}"
            for n in sorted(set(a) & set(b))
            if a[n] != b[n] and "block" not in (a[n], b[n]) and "" not in (a[n], b[n])
        ]
        if changed:
            lines.append(f"{label}: changed: {', '.join(changed)}")
    return lines
