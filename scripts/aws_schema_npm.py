"""hashicorp/aws's schema in ``providers schema -json`` form, read from a cdktn prebuilt provider.

The npm package ``@cdktn/provider-aws`` is generated from the provider's own schema: every
resource and data source is a class whose ``synthesizeHclAttributes`` lists its arguments
by Terraform name, nested blocks go through ``<struct>ToHclTerraform`` functions, and a
generated comment ``// name - computed: B, optional: B, required: B`` precedes every
attribute's getter (computed-only attributes have a getter and no argument). This reads
those files straight from the package tarball. Lossy by design: no descriptions, no
``sensitive`` / ``deprecated`` flags, and block item counts only as "at least one" (a
required block) and "at most one" (a single-object block). Standard library only.
"""

from __future__ import annotations

import json
import re
import tarfile
from dataclasses import dataclass, field
from pathlib import Path

PROVIDER = "registry.terraform.io/hashicorp/aws"

_TOP = re.compile(r"^(?=function \w+|class \w+)", re.M)
_FUNCTION = re.compile(r"function (\w+)ToHclTerraform\(")
_CLASS = re.compile(r"class (\w+) extends ([\w.]+)")
_RESOURCE_TYPE = re.compile(r'static tfResourceType = "(\w+)";')
_ENTRY = re.compile(
    r'^\s+(\w+): \{\n\s+value: ([^\n]*),\n\s+isBlock: (true|false),\n\s+type: "(\w+)",\n'
    r'\s+storageClassType: "(\w+)",\n\s+\},?$',
    re.M,
)
_NESTED = re.compile(r"(?<![.\w])(?:index_1\.)?(\w+)ToHclTerraform\b")
_FIELD = re.compile(
    r"^    // (\w+) - computed: (\w+), optional: (\w+), required: (\w+)\n"
    r"(?:    _\w+(?: = new (?:\w+\.)?(\w+)\(this, \"\w+\"(?:, (true|false))?\))?;\n)?"
    r"(?:    /\*\*\n(?:    \*.*\n)*?    \*/\n)?"  # a JSDoc, e.g. on write-only arguments
    r"    get \w+\(\) \{\n        return (?:cdktn\.Token\.\w+\()?(cdktn\.Fn\.tolist\()?this\.(\w+)",
    re.M,
)
_PRIMITIVE = {"string": "string", "number": "number", "boolean": "bool", "any": "dynamic"}
_GETTER = {
    "getStringAttribute": "string",
    "getNumberAttribute": "number",
    "getBooleanAttribute": "bool",
    "getListAttribute": ["list", "string"],
    "getNumberListAttribute": ["list", "number"],
    "getStringMapAttribute": ["map", "string"],
    "getNumberMapAttribute": ["map", "number"],
    "getBooleanMapAttribute": ["map", "bool"],
    "getAnyMapAttribute": ["map", "dynamic"],
}
_MAP_CLASS = {
    "StringMap": ["map", "string"],
    "NumberMap": ["map", "number"],
    "BooleanMap": ["map", "bool"],
    "AnyMap": ["map", "dynamic"],
    "StringListMap": ["map", ["list", "string"]],
    "NumberListMap": ["map", ["list", "number"]],
}
_NESTING = {"list": "list", "set": "set", "struct": "single", "map": "map"}


@dataclass
class _Field:
    computed: bool
    optional: bool
    required: bool
    ref_class: str | None  # the class a nested object's getter returns (…OutputReference / …List / …Map)
    wraps_set: bool
    getter: str
    tolist: bool = False  # a set, which the getter converts to a list


@dataclass
class _Package:
    functions: dict[str, dict[str, tuple]] = field(default_factory=dict)  # struct -> name -> entry
    classes: dict[str, dict[str, _Field]] = field(default_factory=dict)
    roots: dict[str, tuple[str, str, dict]] = field(default_factory=dict)  # class -> (kind, type, entries)

    def read(self, text: str) -> None:
        text = text.split("\n//# sourceMappingURL=", 1)[0]
        for segment in _TOP.split(text):
            if match := _FUNCTION.match(segment):
                self.functions[match.group(1)] = _entries(segment)
            elif match := _CLASS.match(segment):
                name, base = match.groups()
                self.classes[name] = {
                    m.group(1): _Field(
                        m.group(2) == "true",
                        m.group(3) == "true",
                        m.group(4) == "true",
                        m.group(5),
                        m.group(6) == "true",
                        m.group(8),
                        bool(m.group(7)),
                    )
                    for m in _FIELD.finditer(segment)
                }
                kind = {"cdktn.TerraformResource": "resource", "cdktn.TerraformDataSource": "data"}.get(base)
                resource_type = _RESOURCE_TYPE.search(segment)
                if kind and resource_type and "synthesizeHclAttributes()" in segment:
                    hcl = segment.split("synthesizeHclAttributes()", 1)[1]
                    self.roots[name] = (kind, resource_type.group(1), _entries(hcl))


def _entries(body: str) -> dict[str, tuple]:
    """name -> (is_block, type, storageClassType, nested struct or None) of one ``attrs`` literal."""
    out = {}
    for name, value, is_block, kind, storage in _ENTRY.findall(body):
        nested = [m for m in _NESTED.findall(value)]
        out[name] = (is_block == "true", kind, storage, nested[0] if nested else None)
    return out


def _storage_type(kind: str, storage: str):
    """cty type of a non-block argument from cdktn's storageClassType, e.g. stringListMap."""
    parts = re.findall(r"^[a-z]+|List|Map", storage)
    cty = _PRIMITIVE.get(parts[0], "dynamic")
    for i, part in enumerate(parts[1:], start=2):
        outer = i == len(parts)
        cty = ["set" if outer and kind == "set" else part.lower(), cty]
    return cty


def _class_of(ref_class: str) -> str:
    return re.sub(r"(OutputReference|List|Map)$", "", ref_class) + "OutputReference"


class _Builder:
    def __init__(self, package: _Package):
        self.package = package

    def object_type(self, struct_class: str, depth: int = 0):
        """cty object type of a computed nested object (from its OutputReference's getters)."""
        fields = self.package.classes.get(struct_class, {})
        return ["object", {name: self.field_type(f, depth + 1) for name, f in fields.items()}]

    def field_type(self, f: _Field, depth: int):
        if f.ref_class in _MAP_CLASS:
            return _MAP_CLASS[f.ref_class]
        if f.ref_class and depth < 64:
            obj = self.object_type(_class_of(f.ref_class), depth)
            if f.ref_class.endswith("OutputReference"):
                return ["list", obj]  # SDKv2 renders single nested objects as one-item lists
            return ["set" if f.wraps_set else "map" if f.ref_class.endswith("Map") else "list", obj]
        cty = _GETTER.get(f.getter, "dynamic")
        return ["set", cty[1]] if f.tolist and isinstance(cty, list) else cty

    def block(self, entries: dict[str, tuple], fields: dict[str, _Field]) -> dict:
        attributes, block_types = {}, {}
        for name in sorted(set(entries) | set(fields)):
            f = fields.get(name) or _Field(False, True, False, None, False, "")
            is_block, kind, storage, nested = entries.get(name, (False, "", "", None))
            if is_block and nested is not None:
                child = self.block(
                    self.package.functions.get(nested, {}),
                    self.package.classes.get(_class_of(nested[0].upper() + nested[1:]), {}),
                )
                spec = {"nesting_mode": _NESTING.get(kind, "list"), "block": child}
                if f.required:
                    spec["min_items"] = 1
                if (f.ref_class or "").endswith("OutputReference") or kind == "struct":
                    spec["max_items"] = 1
                block_types[name] = spec
                continue
            cty = _storage_type(kind, storage) if name in entries else self.field_type(f, 0)
            flags = {k: True for k in ("required", "optional", "computed") if getattr(f, k)}
            attributes[name] = {"type": cty, **flags}
        return {"attributes": attributes, "block_types": block_types}


def convert(tarball: Path) -> dict:
    """The provider schema in ``providers schema -json`` form, read from the npm tarball."""
    package = _Package()
    provider_version = None
    with tarfile.open(tarball, "r:gz") as archive:
        for member in archive:
            if member.name == "package/package.json":
                meta = json.load(archive.extractfile(member))
                provider_version = meta["cdktn"]["provider"]["version"]
            elif member.isfile() and re.fullmatch(r"package/lib/[^/]+/(index-structs/)?\w+\.js", member.name):
                package.read(archive.extractfile(member).read().decode())
    if not package.roots or provider_version is None:
        raise ValueError(f"{tarball}: no resources or no provider version found: not a cdktn provider package?")
    builder = _Builder(package)
    schemas: dict[str, dict] = {"resource": {}, "data": {}}
    for class_name, (kind, resource_type, entries) in package.roots.items():
        block = builder.block(entries, package.classes.get(class_name, {}))
        schemas[kind][resource_type] = {"version": 0, "block": block}
    return {
        "format_version": "1.0",
        "provider_versions": {PROVIDER: provider_version},
        "provider_schemas": {
            PROVIDER: {
                "resource_schemas": dict(sorted(schemas["resource"].items())),
                "data_source_schemas": dict(sorted(schemas["data"].items())),
            }
        },
    }
