"""Options mean one thing across the command lines, and a renamed option's former spelling
still works, with one warning line."""

from __future__ import annotations

import argparse

import pytest

from builder.__main__ import _parser as builder_parser
from client.__main__ import build_parser as client_parser
from replay.__main__ import build_parser as replay_parser


def _options(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    """Every option string of ``parser`` and its sub-commands, with its action."""
    found = {}
    for action in parser._actions:
        found |= {option: action for option in action.option_strings}
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                found |= _options(sub)
    return found


def test_a_sagemaker_endpoint_is_named_by_endpoint_name_and_endpoint_url_is_sagemaker_runtime():
    client, replay, builder = _options(client_parser()), _options(replay_parser()), _options(builder_parser())
    for options in (client, replay):
        assert options["--endpoint-name"].dest == "endpoint_name"
        assert "SageMaker Runtime" in options["--endpoint-url"].help
    assert "S3" in builder["--s3-endpoint-url"].help
    assert builder["--endpoint-url"] is builder["--s3-endpoint-url"]  # the former spelling, nothing else


@pytest.mark.parametrize(("parser", "argv", "dest", "old", "new"), [
    (client_parser, ["transcribe", "call.wav", "--bucket", "b", "--endpoint", "my-endpoint"], "endpoint_name",
     "--endpoint", "--endpoint-name"),
    (builder_parser, ["build", "--model-size", "tiny", "--output", "out", "--endpoint-url", "http://s3.local"],
     "s3_endpoint_url", "--endpoint-url", "--s3-endpoint-url"),
])
def test_a_former_spelling_still_works_with_one_warning(capsys, parser, argv, dest, old, new):
    value = argv[-1]
    assert getattr(parser().parse_args(argv), dest) == value
    warned = capsys.readouterr().err.strip().splitlines()
    assert len(warned) == 1 and warned[0].startswith(f"WARNING: {old} is deprecated") and warned[0].endswith(new)
    new_argv = [new if a == old else a for a in argv]
    assert getattr(parser().parse_args(new_argv), dest) == value
    assert capsys.readouterr().err == ""


def test_the_usage_line_shows_the_new_spelling():
    usage = client_parser()._subparsers._group_actions[0].choices["transcribe"].format_usage()
    assert "--endpoint-name ENDPOINT_NAME" in usage and "--endpoint " not in usage
