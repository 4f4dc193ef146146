"""The two hashicorp/aws schemas our HCL is checked against, in ``providers schema -json`` form.

- **6.66.0**, the newest release users run, which no binary here provides: converted
  (``aws_schema_npm.py``) from the npm package @cdktn/provider-aws 25.7.0, generated from
  hashicorp/aws 6.66.0 (its package.json says so). Fetched with ``npm pack``, pinned by version
  and checked against its pinned sha512 integrity.
- **5.x**, the real provider binary on this machine: ``terraform providers schema -json`` run by
  ``scripts/terraform`` (its offline provider mirror) in a throw-away root that asks for 5.x.

Both are cached in WHISPER_SAGEMAKER_CACHE/aws-schema (default ~/.cache/whisper-sagemaker), keyed
by the package version and converter digest, or by the provider version.

    python scripts/aws_schema.py            # fetch and convert 6.66.0's (setup runs this)
    python scripts/aws_schema.py --binary   # and dump the local 5.x binary's (the tests do when needed)
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import aws_schema_npm

from builder.cache import cache_root

NPM_PACKAGE = "@cdktn/provider-aws"
NPM_VERSION = "25.7.0"
NPM_INTEGRITY = "sha512-E/nhu0yVZE4mXMgIPuI8tEFt1BExLkA7ARjihdG+/HmfDfzLr+OEF3dkFRvI6glRt30lrrBWQLwXqCJBxcmyUg=="
PROVIDER = aws_schema_npm.PROVIDER
REPO = Path(__file__).resolve().parents[1]
V5_ROOT = """terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = ">= 5.0, < 6.0" }
  }
}
"""


class SchemaUnavailable(RuntimeError):
    """A schema cannot be had: the message says what to run or install."""


def cache_dir() -> Path:
    return cache_root() / "aws-schema"


def _integrity(path: Path) -> str:
    digest = hashlib.sha512()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return "sha512-" + base64.b64encode(digest.digest()).decode()


def npm_tarball(fetch: bool = False) -> Path:
    """The pinned package tarball in the cache (``npm pack`` when ``fetch`` and absent)."""
    path = cache_dir() / f"cdktn-provider-aws-{NPM_VERSION}.tgz"
    if not path.exists():
        if not fetch:
            raise SchemaUnavailable(f"{path} is missing: run scripts/setup.sh (make test does)")
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=path.parent) as tmp:
            try:
                proc = subprocess.run(
                    ["npm", "pack", f"{NPM_PACKAGE}@{NPM_VERSION}", "--silent", "--pack-destination", tmp],
                    capture_output=True,
                    text=True,
                )
            except FileNotFoundError:
                raise SchemaUnavailable(
                    "npm is not on PATH: install Node.js (npm fetches the schema package)"
                ) from None
            if proc.returncode != 0:
                raise SchemaUnavailable(f"npm pack {NPM_PACKAGE}@{NPM_VERSION} failed: {proc.stderr.strip()}")
            Path(tmp, proc.stdout.split()[-1]).rename(path)
    if (found := _integrity(path)) != NPM_INTEGRITY:
        path.unlink()  # a corrupt or substituted download must not stay in the cache
        raise SchemaUnavailable(f"{path} has integrity {found}, expected {NPM_INTEGRITY}: deleted, fetch again")
    return path


def _write_json(path: Path, data: dict) -> None:
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    tmp.write_text(json.dumps(data))
    tmp.replace(path)


def schema_v6(fetch: bool = False) -> dict:
    """hashicorp/aws 6.66.0's schema, converted from the npm package (cached)."""
    converter = hashlib.sha256(Path(aws_schema_npm.__file__).read_bytes()).hexdigest()[:12]
    path = cache_dir() / f"aws-from-npm-{NPM_VERSION}-{converter}.json"
    if path.exists():
        return json.loads(path.read_text())
    schema = aws_schema_npm.convert(npm_tarball(fetch))
    _write_json(path, schema)
    for stale in path.parent.glob("aws-from-npm-*.json"):  # from other converter versions
        if stale != path:
            stale.unlink(missing_ok=True)
    return schema


def schema_v5() -> dict:
    """The local 5.x provider binary's own schema (cached by provider version)."""
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "main.tf").write_text(V5_ROOT)
        terraform = REPO / "scripts" / "terraform"
        env = dict(os.environ, TF_IN_AUTOMATION="1", NO_COLOR="1")

        def run(*args: str) -> str:
            try:
                proc = subprocess.run([str(terraform), *args], cwd=tmp, env=env, capture_output=True, text=True)
            except FileNotFoundError:
                raise SchemaUnavailable(f"{terraform} is missing: this checkout lacks its Terraform wrapper") from None
            if proc.returncode != 0:
                raise SchemaUnavailable(f"scripts/terraform {' '.join(args)} failed:\n{proc.stderr.strip()}")
            return proc.stdout

        run("init", "-input=false", "-backend=false")
        version = json.loads(run("version", "-json"))["provider_selections"][PROVIDER]
        path = cache_dir() / f"aws-binary-{version}.json"
        if path.exists():
            return json.loads(path.read_text())
        schema = json.loads(run("providers", "schema", "-json"))
    schema["provider_versions"] = {PROVIDER: version}
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_json(path, schema)
    return schema


def provider_schema(schema: dict) -> dict:
    """The hashicorp/aws part: ``resource_schemas`` and ``data_source_schemas``."""
    return schema["provider_schemas"][PROVIDER]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--binary", action="store_true", help="also dump the local 5.x provider's schema")
    args = parser.parse_args(argv)
    try:
        schemas = [("npm", schema_v6(fetch=True))] + ([("binary", schema_v5())] if args.binary else [])
    except (SchemaUnavailable, ValueError) as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 1
    for name, schema in schemas:
        types = provider_schema(schema)
        print(
            f"hashicorp/aws {schema['provider_versions'][PROVIDER]} ({name}): "
            f"{len(types['resource_schemas'])} resources, {len(types['data_source_schemas'])} data sources"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
