"""Uploads against the real moto S3 server over HTTP: encryption, skip-if-exists,
interrupted uploads and bad buckets."""

from __future__ import annotations

import json

import pytest
from builder_testlib import run_cli

from builder.build import Options, build
from builder.errors import BuilderError
from builder.plan import Selection
from builder.upload import Destination, upload_file


def _upload_build(model_dir, handler_dir, output, endpoint, bucket, **destination):
    selection = Selection(model_dir=model_dir, handler_dir=handler_dir, wheels="none")
    return build(selection, Options(output=output,
                                    destination=Destination(bucket, endpoint_url=endpoint, **destination)))


def test_upload_with_sse_aes256_and_metadata(tmp_path, model_dir, handler_dir, aws_endpoint, s3, bucket):
    document = _upload_build(model_dir, handler_dir, tmp_path / "out", aws_endpoint, bucket)
    key = f"whisper/{document['content_key']}/model.tar.gz"
    assert document["s3"]["uri"] == f"s3://{bucket}/{key}"
    head = s3.head_object(Bucket=bucket, Key=key)
    assert head["ServerSideEncryption"] == "AES256"
    assert head["Metadata"] == {"sha256": document["artifact"]["sha256"], "content-key": document["content_key"]}
    assert head["ContentLength"] == (tmp_path / "out" / "model.tar.gz").stat().st_size
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    assert body == (tmp_path / "out" / "model.tar.gz").read_bytes()
    remote_manifest = json.loads(s3.get_object(Bucket=bucket, Key=f"whisper/{document['content_key']}/manifest.json")
                                 ["Body"].read())
    assert remote_manifest["artifact"]["sha256"] == document["artifact"]["sha256"]


def test_existing_object_is_not_uploaded_again(tmp_path, model_dir, handler_dir, aws_endpoint, s3, bucket):
    first = _upload_build(model_dir, handler_dir, tmp_path / "one", aws_endpoint, bucket)
    key = f"whisper/{first['content_key']}/model.tar.gz"
    etag = s3.head_object(Bucket=bucket, Key=key)["LastModified"]
    # A fresh machine (empty output dir) with a model dir that has gone: the
    # remote manifest ends the build before anything is fetched or uploaded.
    gone = tmp_path / "gone"
    gone.mkdir()
    for path in model_dir.iterdir():
        (gone / path.name).symlink_to(path)
    second = _upload_build(gone, handler_dir, tmp_path / "two", aws_endpoint, bucket)
    assert second["content_key"] == first["content_key"]
    assert second["artifact"]["sha256"] == first["artifact"]["sha256"]
    assert second["artifact"]["file"] is None and not (tmp_path / "two" / "model.tar.gz").exists()
    assert s3.head_object(Bucket=bucket, Key=key)["LastModified"] == etag
    # The object-level check alone also skips (same content key and sha256).
    uploaded = upload_file(s3, Destination(bucket, endpoint_url=aws_endpoint), tmp_path / "one" / "model.tar.gz",
                           key, sha256=first["artifact"]["sha256"], content_key=first["content_key"])
    assert uploaded is False


def test_kms_encryption(tmp_path, model_dir, handler_dir, aws_endpoint, s3, bucket):
    import boto3

    kms_key = boto3.client("kms", endpoint_url=aws_endpoint, region_name="us-east-1").create_key()["KeyMetadata"]
    document = _upload_build(model_dir, handler_dir, tmp_path / "out", aws_endpoint, bucket,
                             kms_key_id=kms_key["KeyId"])
    head = s3.head_object(Bucket=bucket, Key=f"whisper/{document['content_key']}/model.tar.gz")
    assert head["ServerSideEncryption"] == "aws:kms"
    assert kms_key["KeyId"] in head["SSEKMSKeyId"]


def test_interrupted_upload_leaves_nothing_and_a_rerun_completes(tmp_path, model_dir, handler_dir, aws_endpoint,
                                                                  s3, bucket):
    selection = Selection(model_dir=model_dir, handler_dir=handler_dir, wheels="none")
    document = build(selection, Options(output=tmp_path / "out"))  # local build only
    key = f"whisper/{document['content_key']}/model.tar.gz"
    sent = []

    def network_drops(count):  # called by the transfer threads as parts are read
        sent.append(count)
        if sum(sent) > 30 << 20:
            raise ConnectionResetError("injected: connection lost mid-upload")

    destination = Destination(bucket, endpoint_url=aws_endpoint)
    with pytest.raises((BuilderError, ConnectionResetError)):
        upload_file(s3, destination, tmp_path / "out" / "model.tar.gz", key, sha256=document["artifact"]["sha256"],
                    content_key=document["content_key"], callback=network_drops)
    assert sum(sent) > 30 << 20
    assert s3.list_objects_v2(Bucket=bucket).get("KeyCount") == 0
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []

    rerun = build(selection, Options(output=tmp_path / "out", destination=destination))
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    assert body == (tmp_path / "out" / "model.tar.gz").read_bytes()
    assert rerun["s3"]["uri"] == f"s3://{bucket}/{key}"


def test_missing_bucket_fails_before_building(tmp_path, model_dir, handler_dir, aws_endpoint):
    result = run_cli("build", "--model-dir", str(model_dir), "--handler-dir", str(handler_dir), "--wheels", "none",
                     "--output", str(tmp_path / "out"), "--bucket", "no-such-bucket", "--s3-endpoint-url", aws_endpoint)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "ERROR: bucket 'no-such-bucket' does not exist (create it, or check --bucket and the region)")
    assert not (tmp_path / "out" / "model.tar.gz").exists()


def test_missing_credentials(tmp_path, model_dir, handler_dir, aws_endpoint, bucket):
    result = run_cli("build", "--model-dir", str(model_dir), "--handler-dir", str(handler_dir), "--wheels", "none",
                     "--output", str(tmp_path / "out"), "--bucket", bucket, "--s3-endpoint-url", aws_endpoint,
                     env={"AWS_ACCESS_KEY_ID": None, "AWS_SECRET_ACCESS_KEY": None, "AWS_PROFILE": None,
                          "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
                          "AWS_CONFIG_FILE": str(tmp_path / "none"), "AWS_EC2_METADATA_DISABLED": "true"})
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].startswith("ERROR: no AWS credentials found")


def test_uncompressed_layout_uploads_a_prefix(tmp_path, model_dir, handler_dir, aws_endpoint, s3, bucket):
    selection = Selection(model_dir=model_dir, handler_dir=handler_dir, wheels="none", layout="uncompressed")
    document = build(selection, Options(output=tmp_path / "out",
                                        destination=Destination(bucket, endpoint_url=aws_endpoint)))
    prefix = f"whisper/{document['content_key']}/model/"
    assert document["s3"]["uri"] == f"s3://{bucket}/{prefix}"
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix)["Contents"]}
    assert {prefix + "model.bin", prefix + "config.json", prefix + "code/inference.py"} <= keys
    assert s3.get_object(Bucket=bucket, Key=prefix + "config.json")["Body"].read() == \
        (model_dir / "config.json").read_bytes()


def test_forbidden_bucket_fails_before_building(tmp_path, model_dir, handler_dir):
    """A second moto server that enforces IAM: a user without S3 permissions is refused."""
    import os
    import subprocess
    import sys

    import boto3
    from builder_testlib import REPO_ROOT

    env = dict(os.environ, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
               AWS_DEFAULT_REGION="us-east-1", INITIAL_NO_AUTH_ACTION_COUNT="3")
    proc = subprocess.Popen([sys.executable, str(REPO_ROOT / "scripts" / "local_aws.py")],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    try:
        endpoint = proc.stdout.readline().strip().split(" ", 1)[1]
        root = dict(endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="testing",
                    aws_secret_access_key="testing")
        boto3.client("s3", **root).create_bucket(Bucket="locked-down")       # 3 unauthenticated calls:
        boto3.client("iam", **root).create_user(UserName="nobody")           # bucket, user, key
        key = boto3.client("iam", **root).create_access_key(UserName="nobody")["AccessKey"]
        result = run_cli("build", "--model-dir", str(model_dir), "--handler-dir", str(handler_dir),
                         "--wheels", "none", "--output", str(tmp_path / "out"), "--bucket", "locked-down",
                         "--s3-endpoint-url", endpoint,
                         env={"AWS_ACCESS_KEY_ID": key["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"]})
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        proc.stdout.close()
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "ERROR: access to bucket 'locked-down' is forbidden for these credentials")
    assert not (tmp_path / "out" / "model.tar.gz").exists()


def test_an_invalid_bucket_name_is_one_line_with_the_whole_reason(tmp_path, model_dir, handler_dir, aws_endpoint):
    result = run_cli("build", "--model-dir", str(model_dir), "--handler-dir", str(handler_dir), "--wheels", "none",
                     "--output", str(tmp_path / "out"), "--bucket", "Bad_Bucket!!", "--s3-endpoint-url", aws_endpoint)
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith('ERROR: invalid S3 parameter: Parameter validation failed: Invalid bucket name '
                           '"Bad_Bucket!!": Bucket name must match the regex'), last


@pytest.mark.parametrize("stop", ["packaging", "uploading"])
def test_sigterm_cleans_up_like_sigint(tmp_path, model_dir, handler_dir, aws_endpoint, s3, bucket, stop):
    """SIGTERM mid-build: no hidden partial artifact, no open multipart upload, exit 143."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from builder_testlib import REPO_ROOT

    out = tmp_path / "out"
    argv = [sys.executable, "-m", "builder", "build", "--model-dir", str(model_dir), "--handler-dir",
            str(handler_dir), "--wheels", "none", "--output", str(out), "--bucket", bucket,
            "--s3-endpoint-url", aws_endpoint]
    proc = subprocess.Popen(argv, cwd=REPO_ROOT, env=dict(os.environ, PYTHONPATH=str(REPO_ROOT)),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    try:
        while proc.poll() is None and time.monotonic() < deadline:
            if stop == "packaging" and out.is_dir() and any(p.name.startswith(".model.tar.gz.") for p in out.iterdir()):
                break
            if stop == "uploading" and s3.list_multipart_uploads(Bucket=bucket).get("Uploads"):
                break
            time.sleep(0.005)
        assert proc.poll() is None, f"the build ended before it was {stop}: {proc.stderr.read()[-1000:]}"
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 143, stderr
    assert stderr.strip().splitlines()[-1].startswith("ERROR: terminated (SIGTERM)")
    assert not [p.name for p in out.iterdir() if p.name.startswith(".")]
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    assert s3.list_objects_v2(Bucket=bucket).get("KeyCount") == 0
