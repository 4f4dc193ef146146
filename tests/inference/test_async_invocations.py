"""Asynchronous inference on the local server, end to end: boto3's ``invoke_endpoint_async``
-> the real server (tiny.en on real speech) -> S3 and SNS on a real moto server, read back
as a user's application would (poll S3, read the SNS notifications from subscribed SQS queues).

The forwarding of headers and the queue bound are checked against a small container stand-in
over real HTTP (one that echoes what it received, or waits until released), so they are exact
and need no timing luck.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import boto3
import botocore.config
import botocore.exceptions
import pytest
from inference_testlib import REPO, free_port, thread_server, wait_for_ping
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from inference.__main__ import async_settings, build_parser, main
from inference.async_invocations import AsyncInvocations, AsyncSettings
from replay.wer import wer

BUCKET = "async-inference"
NO_RETRIES = botocore.config.Config(retries={"total_max_attempts": 1}, read_timeout=30)


@pytest.fixture(scope="module")
def aws(aws_endpoint: str):
    """S3, SNS and SQS clients on the moto server, a bucket, and two topics each read by a queue."""
    clients = {name: boto3.client(name, endpoint_url=aws_endpoint, region_name="us-east-1")
               for name in ("s3", "sns", "sqs")}
    clients["s3"].create_bucket(Bucket=BUCKET)
    topics = {}
    for kind in ("success", "error"):
        arn = clients["sns"].create_topic(Name=f"async-{kind}")["TopicArn"]
        queue = clients["sqs"].create_queue(QueueName=f"async-{kind}")["QueueUrl"]
        queue_arn = clients["sqs"].get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])
        clients["sns"].subscribe(TopicArn=arn, Protocol="sqs",
                                 Endpoint=queue_arn["Attributes"]["QueueArn"])
        topics[kind] = (arn, queue)
    return type("Aws", (), {"endpoint": aws_endpoint, "topics": topics, **clients})


@pytest.fixture(scope="module")
def async_server(aws, model_dir, tmp_path_factory) -> Iterator[str]:
    """``python -m inference serve`` with every asynchronous flag, S3/SNS on moto."""
    port = free_port()
    log = tmp_path_factory.mktemp("async-server") / "server.log"
    env = dict(os.environ, PYTHONPATH=str(REPO), AWS_ENDPOINT_URL=aws.endpoint, AWS_ACCESS_KEY_ID="testing",
               AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1")
    argv = [sys.executable, "-m", "inference", "serve", "--model-dir", str(model_dir), "--port", str(port),
            "--async-output-path", f"s3://{BUCKET}/out", "--async-failure-path", f"s3://{BUCKET}/failed/",
            "--async-success-topic", aws.topics["success"][0], "--async-error-topic", aws.topics["error"][0]]
    with log.open("w") as sink:
        proc = subprocess.Popen(argv, cwd=REPO, env=env, stdout=sink, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_ping(url, 120, alive=lambda: proc.poll() is None, why=lambda: log.read_text()[-2000:])
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.fixture(scope="module")
def runtime(async_server):
    return boto3.client("sagemaker-runtime", endpoint_url=async_server, region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing", config=NO_RETRIES)


def upload(aws, key: str, data: bytes) -> str:
    aws.s3.put_object(Bucket=BUCKET, Key=key, Body=data)
    return f"s3://{BUCKET}/{key}"


def wait_for_object(aws, uri: str, timeout: float = 120) -> dict:
    """Poll S3 as a user's application does; the object once it exists."""
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    deadline = time.monotonic() + timeout
    while True:
        try:
            return aws.s3.get_object(Bucket=bucket, Key=key)
        except aws.s3.exceptions.NoSuchKey:
            assert time.monotonic() < deadline, f"{uri} did not appear within {timeout} s"
            time.sleep(0.2)


def exists(aws, uri: str) -> bool:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return aws.s3.list_objects_v2(Bucket=bucket, Prefix=key).get("KeyCount", 0) > 0


def notification(aws, kind: str, inference_id: str, timeout: float = 60) -> dict:
    """The SageMaker event for ``inference_id`` that reached the ``kind`` topic's queue."""
    queue = aws.topics[kind][1]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in aws.sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10,
                                               WaitTimeSeconds=1).get("Messages", []):
            aws.sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
            event = json.loads(json.loads(message["Body"])["Message"])  # the SNS envelope, then the event
            if event["inferenceId"] == inference_id:
                return event
    raise AssertionError(f"no {kind} notification for {inference_id} within {timeout} s")


# --- the round trip on real speech ----------------------------------------------------------

def test_a_recording_in_s3_comes_back_transcribed_with_a_success_notification(aws, runtime, jfk):
    source = upload(aws, "in/jfk.wav", jfk.path.read_bytes())
    answer = runtime.invoke_endpoint_async(EndpointName="whisper", InputLocation=source, ContentType="audio/wav")
    inference_id = answer["InferenceId"]
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert answer["OutputLocation"] == f"s3://{BUCKET}/out/{inference_id}.out"
    assert answer["FailureLocation"] == f"s3://{BUCKET}/failed/{inference_id}-error.out"

    result = wait_for_object(aws, answer["OutputLocation"])
    assert result["ContentType"].startswith("application/json")
    text = json.loads(result["Body"].read())["text"]
    assert wer([jfk.reference], [text]) <= 0.15, text

    event = notification(aws, "success", inference_id)
    assert event["invocationStatus"] == "Completed"
    assert event["responseParameters"]["outputLocation"] == answer["OutputLocation"]
    assert event["responseParameters"]["contentType"].startswith("application/json")
    assert event["requestParameters"] == {"endpointName": "whisper", "contentType": "audio/wav",
                                          "inputLocation": source}
    assert (event["eventSource"], event["eventName"], event["eventVersion"]) == \
        ("aws:sagemaker", "InferenceResult", "1.0")
    assert event["awsRegion"] == "us-east-1" and event["receivedTime"] <= event["eventTime"]
    assert not exists(aws, answer["FailureLocation"])


def test_an_inline_body_with_our_inference_id(aws, runtime, clips):
    clip = next(c for c in clips if c.name == "librivox-0930")
    body = clip.path.read_bytes()
    assert len(body) <= 128_000, "InvokeEndpointAsync's inline limit"
    answer = runtime.invoke_endpoint_async(EndpointName="whisper", Body=body, ContentType="audio/wav",
                                           InferenceId="call-42-agent")
    assert answer["InferenceId"] == "call-42-agent"
    assert answer["OutputLocation"] == f"s3://{BUCKET}/out/call-42-agent.out"
    text = json.loads(wait_for_object(aws, answer["OutputLocation"])["Body"].read())["text"]
    assert wer([clip.reference], [text]) <= 0.2, text
    assert "inputLocation" not in notification(aws, "success", "call-42-agent")["requestParameters"]


def test_custom_attributes_choose_the_format(aws, runtime, jfk):
    source = upload(aws, "in/jfk.wav", jfk.path.read_bytes())
    answer = runtime.invoke_endpoint_async(EndpointName="whisper", InputLocation=source, ContentType="audio/wav",
                                           CustomAttributes="response_format=srt")
    result = wait_for_object(aws, answer["OutputLocation"])
    assert result["ContentType"].startswith("application/x-subrip")
    cues = result["Body"].read().decode().strip().split("\n\n")
    assert cues[0].startswith("1\n00:00:00,") and " --> " in cues[0].splitlines()[1]
    words = " ".join(" ".join(cue.splitlines()[2:]) for cue in cues)
    assert wer([jfk.reference], [words]) <= 0.15, words
    event = notification(aws, "success", answer["InferenceId"])
    assert event["responseParameters"]["contentType"] == result["ContentType"]


# --- failures ------------------------------------------------------------------------------

def test_bad_audio_lands_in_the_failure_path_and_the_error_topic(aws, runtime):
    source = upload(aws, "in/not-audio.wav", b"this is a text file, not a recording")
    answer = runtime.invoke_endpoint_async(EndpointName="whisper", InputLocation=source, ContentType="audio/wav")
    failure = wait_for_object(aws, answer["FailureLocation"])
    error = json.loads(failure["Body"].read())["error"]  # the container's own 400 body
    assert error and isinstance(error, str)

    event = notification(aws, "error", answer["InferenceId"])
    assert event["invocationStatus"] == "Failed"
    assert event["failureReason"].startswith("ClientError: Received client error (400) from model")
    assert error in event["failureReason"]
    assert event["responseParameters"]["failureLocation"] == answer["FailureLocation"]
    assert not exists(aws, answer["OutputLocation"])


def test_a_missing_input_object_fails_naming_it(aws, runtime):
    missing = f"s3://{BUCKET}/in/never-uploaded.wav"
    answer = runtime.invoke_endpoint_async(EndpointName="whisper", InputLocation=missing, ContentType="audio/wav")
    error = json.loads(wait_for_object(aws, answer["FailureLocation"])["Body"].read())["error"]
    assert missing in error and "NoSuchKey" in error
    event = notification(aws, "error", answer["InferenceId"])
    assert event["failureReason"] == error and event["requestParameters"]["inputLocation"] == missing


@pytest.mark.parametrize("arguments, message", [
    ({"InputLocation": "https://example.com/clip.wav"}, "InputLocation must be an S3 URI"),
    ({"InputLocation": f"s3://{BUCKET}"}, "InputLocation must be an S3 URI"),
    ({"InputLocation": "clip.wav"}, "InputLocation must be an S3 URI"),
    ({}, "exactly one of InputLocation"),
    ({"InputLocation": f"s3://{BUCKET}/in/jfk.wav", "Body": b"RIFF"}, "exactly one of InputLocation"),
    ({"InputLocation": f"s3://{BUCKET}/in/jfk.wav", "RequestTTLSeconds": 30000}, "RequestTTLSeconds"),
    ({"InputLocation": f"s3://{BUCKET}/in/jfk.wav", "InvocationTimeoutSeconds": 7200}, "InvocationTimeoutSeconds"),
    ({"Body": b"\0" * 128_001}, "at most 128000 bytes"),
])
def test_bad_requests_are_validation_errors_in_boto3(runtime, arguments, message):
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        runtime.invoke_endpoint_async(EndpointName="whisper", ContentType="audio/wav", **arguments)
    error = raised.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error["Error"]["Code"] == "ValidationError" and message in error["Error"]["Message"]


def test_without_an_output_path_there_is_no_asynchronous_route(model_dir):
    args = build_parser().parse_args(["serve", "--model-dir", str(model_dir)])
    assert async_settings(args, 1) is None


@pytest.mark.parametrize("argv, message", [
    (["--async-error-topic", "arn:aws:sns:us-east-1:123456789012:t"], "needs --async-output-path"),
    (["--async-output-path", "bucket/prefix"], "s3://bucket[/prefix]"),
    (["--async-output-path", "s3://b-1/x", "--async-success-topic", "topic"], "SNS topic ARN"),
    (["--async-output-path", "s3://b-1/x", "--async-max-concurrent", "0"], "--async-max-concurrent"),
])
def test_flag_errors_are_usage_errors(model_dir, capsys, argv, message):
    with pytest.raises(SystemExit) as exit_:
        main(["serve", "--model-dir", str(model_dir), *argv])
    assert exit_.value.code == 2 and message in capsys.readouterr().err


# --- against a container stand-in: forwarding and the queue bound ---------------------------

class StandIn:
    """A container that records each request and answers once ``release`` is set."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        self.release = threading.Event()

    def app(self, extra_routes) -> Starlette:
        async def ping(request: Request) -> JSONResponse:
            return JSONResponse({})

        async def invocations(request: Request) -> JSONResponse:
            self.received.append({"headers": dict(request.headers), "body": await request.body()})
            await run_in_threadpool(self.release.wait, 30)
            return JSONResponse({"text": "stand-in"})

        return Starlette(routes=[Route("/ping", ping), Route("/invocations", invocations, methods=["POST"]),
                                 *extra_routes])


@contextmanager
def stand_in_endpoint(aws, monkeypatch, **settings) -> Iterator[tuple[StandIn, object]]:
    monkeypatch.setenv("AWS_ENDPOINT_URL", aws.endpoint)
    container = StandIn()
    routes = AsyncInvocations(AsyncSettings(output_path=f"s3://{BUCKET}/stand-in", **settings))
    with thread_server(container.app(routes.routes())) as url:
        yield container, boto3.client("sagemaker-runtime", endpoint_url=url, region_name="us-east-1",
                                      config=NO_RETRIES)
        container.release.set()
        routes.close()


def test_content_type_accept_and_custom_attributes_reach_the_container(aws, monkeypatch):
    source = upload(aws, "in/payload.bin", b"\x01\x02payload")
    with stand_in_endpoint(aws, monkeypatch) as (container, runtime):
        container.release.set()
        answer = runtime.invoke_endpoint_async(
            EndpointName="whisper", InputLocation=source, ContentType="audio/L16;rate=8000",
            Accept="application/json", CustomAttributes="response_format=srt;trace=abc")
        assert json.loads(wait_for_object(aws, answer["OutputLocation"])["Body"].read()) == {"text": "stand-in"}
    (request,) = container.received
    assert request["body"] == b"\x01\x02payload"
    assert request["headers"]["content-type"] == "audio/L16;rate=8000"
    assert request["headers"]["accept"] == "application/json"
    assert request["headers"]["x-amzn-sagemaker-custom-attributes"] == "response_format=srt;trace=abc"
    assert not any(name.startswith("x-amzn-sagemaker-input") for name in request["headers"])


def test_a_full_queue_is_service_unavailable_then_the_admitted_work_finishes(aws, monkeypatch):
    source = upload(aws, "in/payload.bin", b"payload")
    with stand_in_endpoint(aws, monkeypatch, max_concurrent=1, max_queue=1) as (container, runtime):
        admitted = [runtime.invoke_endpoint_async(EndpointName="whisper", InputLocation=source) for _ in range(2)]
        with pytest.raises(botocore.exceptions.ClientError) as raised:
            runtime.invoke_endpoint_async(EndpointName="whisper", InputLocation=source)
        error = raised.value.response
        assert error["ResponseMetadata"]["HTTPStatusCode"] == 503
        assert error["Error"]["Code"] == "ServiceUnavailable" and "--async-max-queue" in error["Error"]["Message"]
        container.release.set()
        for answer in admitted:
            wait_for_object(aws, answer["OutputLocation"], timeout=30)
        assert len(container.received) == 2


def test_a_container_slower_than_the_invocation_timeout_is_a_failure(aws, monkeypatch):
    source = upload(aws, "in/payload.bin", b"payload")
    with stand_in_endpoint(aws, monkeypatch, failure_path=f"s3://{BUCKET}/stand-in-failed") as (container, runtime):
        answer = runtime.invoke_endpoint_async(EndpointName="whisper", InputLocation=source,
                                               InvocationTimeoutSeconds=1)
        error = json.loads(wait_for_object(aws, answer["FailureLocation"], timeout=30)["Body"].read())["error"]
    assert error == "ModelError: the model did not answer within InvocationTimeoutSeconds (1 s)"
    assert len(container.received) == 1 and not exists(aws, answer["OutputLocation"])


def test_an_input_larger_than_the_container_accepts_is_not_sent(aws, monkeypatch):
    source = upload(aws, "in/eleven.bin", b"eleven byte")
    with stand_in_endpoint(aws, monkeypatch, failure_path=f"s3://{BUCKET}/stand-in-failed",
                           max_input_bytes=10) as (container, runtime):
        answer = runtime.invoke_endpoint_async(EndpointName="whisper", InputLocation=source)
        error = json.loads(wait_for_object(aws, answer["FailureLocation"], timeout=30)["Body"].read())["error"]
    assert error == f"ClientError: input {source} is larger than the container accepts (10 bytes)"
    assert container.received == []
