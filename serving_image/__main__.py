"""``python -m serving_image build --base DLC_IMAGE --tag REPOSITORY:TAG``: the streaming-capable image.

Prints the pushed image by digest (REPOSITORY@sha256:...), the value for the Terraform module's
``image_uri``. Registry credentials come from crane's usual places (``crane auth login``, the
Docker config and its credential helpers, e.g. ECR's ``docker-credential-ecr-login``).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from .crane import ImageBuildError, Target, build


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m serving_image",
                                     description="Derive the bidirectional-streaming serving image from the "
                                     "Deep Learning Container, with crane (no Docker daemon).",
                                     epilog="With Docker instead: docker build serving_image/ "
                                     "--build-arg BASE_IMAGE=... (serving_image/Dockerfile). "
                                     "Exit status: 0 pushed, 1 failed, 2 usage error.")
    commands = parser.add_subparsers(dest="command", required=True)
    command = commands.add_parser("build", help="push the serving image derived from --base to --tag")
    command.add_argument("--base", required=True,
                         help="the Deep Learning Container to derive from (the module's image_uri output)")
    command.add_argument("--tag", required=True, help="where to push it, REGISTRY/REPOSITORY:TAG")
    command.add_argument("--platform", default="linux/amd64",
                         help="platform to take from a multi-platform base (default linux/amd64)")
    command.add_argument("--insecure", action="store_true", help="allow plain-HTTP registries")
    command.add_argument("--crane", help="crane executable (default: scripts/crane, else crane on PATH)")
    command.add_argument("--debug", action="store_true", help="debug logging and tracebacks")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; 0 when pushed, 1 on failure, 2 for usage errors."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        reference = build(Target(base=args.base, tag=args.tag, platform=args.platform, insecure=args.insecure),
                          crane=args.crane)
    except ImageBuildError as exc:
        if args.debug:
            raise
        print(f"ERROR: {exc}", file=sys.stderr)
        return 1
    print(reference)
    return 0


if __name__ == "__main__":
    sys.exit(main())
