"""The demo's seven steps, their progress lines, and a teardown that leaves nothing running."""

from __future__ import annotations

import json
import os
import select
import shutil
import sys
import tarfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TextIO

from demo import deploy
from demo import stream as streaming
from demo.processes import Child, free_port, port_open, wait_for_ping
from replay.call_source import Call, synthetic_call, write_call_wav
from replay.clips import DEMO_CLIPS, QUICK_CLIPS, load_clips
from replay.events import JsonLinesSink
from replay.report import ReplaySummary, format_summary, summarise
from replay.runner import ReplayRun, replay_calls
from replay.transport import SageMakerTransport, make_runtime_client

REPO = deploy.REPO
BUCKET = "whisper-sagemaker-demo"
PREFIX = "whisper"
DEFAULT_ENDPOINT = "whisper-endpoint-lca-demo"  # LCA names it whisper-endpoint-<stack name>
REGION = "us-east-1"
STEPS = {
    1: "start the local AWS (moto)",
    2: "build the model artifact and upload it to the local S3",
    3: "deploy: terraform apply / LCA CloudFormation shim",
    4: "start the endpoint from the artifact, as SageMaker does",
    5: "replay a two-channel call through the LCA client",
    6: "stream the same call through SageMaker's runtime (local) with AWS's client",
    7: "summary: the two transports compared",
}


class StepFailed(Exception):
    """A step broke; the message names it."""

    def __init__(self, number: int, message: str) -> None:
        super().__init__(f"step {number} ({STEPS[number]}) failed: {message}")
        self.number = number


@dataclass
class DemoResult:
    """What the demo did, for people (printed) and tests (``--result-json``)."""

    ok: bool = False
    quick: bool = False
    failed_step: int | None = None
    error: str | None = None
    steps: list[dict] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    endpoint_name: str | None = None
    shim_outputs: dict = field(default_factory=dict)
    summary: dict | None = None
    stream: dict | None = None
    events_file: str | None = None
    pids: list[int] = field(default_factory=list)
    ports: list[int] = field(default_factory=list)
    leftovers: list[str] = field(default_factory=list)


class Demo:
    """Runs the steps; ``run()`` always tears down what it started.

    Args:
        work: scratch directory (artifact, extracted model, logs, events).
        model_dir: the bundled tiny.en CTranslate2 model.
        quick: a short call and an artifact without vendored wheels (for tests).
        out: where progress goes.
    """

    def __init__(self, work: Path, model_dir: Path, quick: bool = False, out: TextIO = sys.stdout) -> None:
        self.work = work
        self.model_dir = model_dir
        self.quick = quick
        self.out = out
        self.result = DemoResult(quick=quick)
        self.children: list[Child] = []
        self.aws_url = ""
        self.endpoint_url = ""
        self.model_data_url = ""
        self.replayed: ReplayRun | None = None  # step 5's calls, summarised by step 7
        self.call: Call | None = None
        self.streamed: streaming.StreamFigures | None = None  # step 6's, compared by step 7
        self._undo: list[tuple[str, Callable[[], None]]] = []
        self.env = dict(os.environ, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                        AWS_DEFAULT_REGION=REGION, AWS_SESSION_TOKEN="testing")
        self.env.pop("AWS_PROFILE", None)

    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def run(self) -> DemoResult:
        steps = [self.start_local_aws, self.build_artifact, self.deploy, self.start_endpoint, self.replay,
                 self.stream, self.summarise]
        try:
            for number, step in enumerate(steps, start=1):
                self.say(f"\n[{number}/{len(STEPS)}] {STEPS[number]}")
                began = time.monotonic()
                try:
                    detail = step()
                except StepFailed:
                    raise
                except Exception as exc:
                    raise StepFailed(number, f"{type(exc).__name__}: {exc}") from exc
                seconds = time.monotonic() - began
                self.result.steps.append({"number": number, "title": STEPS[number], "ok": True,
                                          "seconds": round(seconds, 2), "detail": detail})
                self.say(f"      ok ({seconds:.1f} s) {detail}")
            self.result.ok = True
        except StepFailed as exc:
            self.result.failed_step, self.result.error = exc.number, str(exc)
        except KeyboardInterrupt:
            self.result.error = "interrupted"
        finally:
            self.teardown()
        return self.result

    # -- step 1 ---------------------------------------------------------------------------
    def start_local_aws(self) -> str:
        child = self._start("local AWS", [sys.executable, str(REPO / "scripts" / "local_aws.py")],
                            stdout_pipe=True)
        ready, _, _ = select.select([child.proc.stdout], [], [], 60)
        line = child.proc.stdout.readline().strip() if ready else ""
        if not line.startswith("ready "):
            raise RuntimeError(f"scripts/local_aws.py did not print 'ready URL' (got {line!r}); "
                               f"log: {child.log_tail()}")
        self.aws_url = line.split(" ", 1)[1]
        self.result.ports.append(int(self.aws_url.rsplit(":", 1)[1]))
        return self.aws_url

    def _session(self):
        import boto3

        # Fake credentials: the demo can never reach a real account.
        return boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION)

    def _client(self, service: str):
        return self._session().client(service, endpoint_url=self.aws_url)

    # -- step 2 ---------------------------------------------------------------------------
    def build_artifact(self) -> str:
        self._client("s3").create_bucket(Bucket=BUCKET)
        output = self.work / "build"
        argv = [sys.executable, "-m", "builder", "build", "--model-dir", str(self.model_dir), "--output",
                str(output), "--bucket", BUCKET, "--prefix", PREFIX, "--s3-endpoint-url", self.aws_url,
                "--region", REGION, "--no-progress", "--wheels", "none" if self.quick else "vendor"]
        self.say(f"      $ python -m builder build --model-dir {self.model_dir} --bucket {BUCKET} "
                 f"--s3-endpoint-url {self.aws_url}{' --wheels none' if self.quick else ''}")
        exit_code = self._run_logged("builder", argv, cwd=REPO)
        if exit_code != 0:
            raise RuntimeError(f"python -m builder build exited {exit_code}; log: {self._tail('builder')}")
        manifest = json.loads((output / "manifest.json").read_text())
        if not manifest.get("s3"):
            raise RuntimeError("the manifest records no S3 upload")
        self.model_data_url = manifest["s3"]["uri"]
        size = manifest["artifact"]["bytes"] / 1e6
        return f"{self.model_data_url} ({size:.0f} MB, content key {manifest['content_key'][:12]}...)"

    # -- step 3 ---------------------------------------------------------------------------
    def deploy(self) -> str:
        done = []
        cli = deploy.demo_cli()
        if cli is None:
            self._notice("deploy skipped: neither HashiCorp Terraform on PATH nor a built OpenTofu "
                         "(scripts/setup.sh demo builds OpenTofu where Terraform is missing)")
        elif deploy.aws_provider_available(cli):
            self.say(f"      $ scripts/{cli.name} apply (root module, local AWS)")
            # No destroy afterwards: the local AWS, and all it holds, stops with the demo.
            outputs = deploy.root_module_apply(cli, self.work, self.aws_url, self.model_data_url)
            for key, value in outputs.items():
                if key != "lca_shim_template_body":  # rendered again below, as LCA nests it
                    self.say(f"      output {key} = {json.dumps(value)}")
            done.append("root module applied")
        else:
            self._notice(f"{cli.name} apply of the root module skipped: no hashicorp/aws provider on this "
                         "machine (none in the CLIs' filesystem mirror or the places it searches)")
        if not deploy.LCA_MODULE.is_dir():
            self._notice(f"LCA shim skipped: {deploy.LCA_MODULE.relative_to(REPO)} is not in this checkout")
        elif cli is not None:
            self.say(f"      $ scripts/{cli.name} apply (modules/whisper_sagemaker/modules/lca: renders the shim)")
            shim = deploy.render_shim(cli, self.work, DEFAULT_ENDPOINT, BUCKET)
            cloudformation = self._client("cloudformation")
            params = deploy.lca_stack_parameters(DEFAULT_ENDPOINT, BUCKET)
            self.say(f"      create_stack {deploy.STACK_NAME} with LCA's {len(params)} parameters")
            outputs = deploy.deploy_shim(cloudformation, shim.body, params)
            self._undo.append(("delete shim stack", lambda: deploy.delete_shim(cloudformation)))
            self.result.shim_outputs = outputs
            for key, value in outputs.items():
                self.say(f"      stack output {key} = {value}")
            done.append("shim stack deployed")
        self.result.endpoint_name = self.result.shim_outputs.get("WhisperSageMakerEndpointName", DEFAULT_ENDPOINT)
        return ", ".join(done) or "nothing deployable here (see the notices)"

    # -- step 4 ---------------------------------------------------------------------------
    def start_endpoint(self) -> str:
        bucket, key = self.model_data_url.removeprefix("s3://").split("/", 1)
        archive = self.work / "download" / "model.tar.gz"
        archive.parent.mkdir(parents=True)
        self._client("s3").download_file(bucket, key, str(archive))
        root = self.work / "opt" / "ml" / "model"  # where SageMaker extracts ModelDataUrl
        with tarfile.open(archive) as tar:
            tar.extractall(root, filter="data")
        code = root / "code"
        if not (code / "inference.py").is_file():
            raise RuntimeError(f"the artifact has no code/inference.py (files: {sorted(os.listdir(root))})")
        port = free_port()
        self.endpoint_url = f"http://127.0.0.1:{port}"
        # cwd code/ and no repository on the path: what serves is the extracted copy.
        env = {k: v for k, v in self.env.items() if k != "PYTHONPATH"}
        self.say(f"      $ cd {code} && python -m whisper_inference serve --model-dir {root} --port {port}")
        child = self._start("endpoint", [sys.executable, "-m", "whisper_inference", "serve", "--model-dir",
                                         str(root), "--port", str(port)], cwd=code, env=env)
        self.result.ports.append(port)
        waited = wait_for_ping(self.endpoint_url, child, timeout=240)
        return f"{self.endpoint_url} answered /ping 200 after {waited:.1f} s"

    # -- step 5 ---------------------------------------------------------------------------
    def replay(self) -> str:
        self.call = call = synthetic_call(load_clips(QUICK_CLIPS if self.quick else DEMO_CLIPS), name="demo-call")
        write_call_wav(call, self.work / "call.wav")
        events_path = self.work / "events.jsonl"
        self.result.events_file = str(events_path)
        client = make_runtime_client(self.endpoint_url, REGION, session=self._session())
        self.say(f"      {call.seconds:.1f} s call, {len(call.turns)} turns; boto3 invoke_endpoint "
                 f"{self.result.endpoint_name} at {self.endpoint_url}; events -> {events_path}")
        with open(events_path, "w", encoding="utf-8") as stream:
            jsonl = JsonLinesSink(stream)

            def sink(event: dict) -> None:
                if stream.closed:  # a call thread still finishing after an interrupt
                    return
                jsonl(event)
                self.say(_event_line(event))

            self.replayed = replay_calls(
                [call], lambda: SageMakerTransport(self.result.endpoint_name, client=client), sink=sink)
        requests = self.replayed.results[0].requests
        failed = [r.error for r in requests if r.error]
        if failed:
            raise RuntimeError(f"{len(failed)} of {len(requests)} requests failed, e.g. {failed[0]}")
        return f"{len(requests)} requests, {len(self.replayed.results[0].finals)} finals"

    # -- step 6 ---------------------------------------------------------------------------
    def stream(self) -> str:
        name = self.result.endpoint_name
        runtime = streaming.start_runtime(self._start, name, self.endpoint_url, self.work)
        self.result.ports.append(int(runtime.url.rsplit(":", 1)[1]))
        self.say(f"      $ python -m local_runtime --endpoint {name}={self.endpoint_url}   # {runtime.url}, HTTP/2")
        self.say(f"      AWS's client (sagemaker-runtime-http2) InvokeEndpointWithBidirectionalStream {name}, "
                 f"ModelInvocationPath={streaming.INVOCATION_PATH}; the call at its own pace")
        result, close = streaming.stream_call(runtime, name, self.call, self.work / "call.wav", self.env, self.say,
                                              self.work / "aws-caller.log")
        self.streamed = streaming.figures(runtime, result, close)
        self.result.stream = asdict(self.streamed)
        return (f"{self.streamed.interims} interim and {self.streamed.finals} final results; the container's "
                f"close arrived as ModelStreamError {close}")

    # -- step 7 ---------------------------------------------------------------------------
    def summarise(self) -> str:
        summary = summarise(self.replayed)
        self.result.summary = asdict(summary)
        for line in format_summary(summary).splitlines():
            self.say(f"      {line}")
        self.say("")
        for line in streaming.comparison(self.replayed, summary, self.streamed).splitlines():
            self.say(f"      {line}")
        return summary_line(summary)

    # -- teardown -------------------------------------------------------------------------
    def teardown(self) -> None:
        self.say("\n[teardown] stopping servers, deleting what was deployed")
        for what, undo in reversed(self._undo):
            try:
                undo()
                self.say(f"      {what}: done")
            except Exception as exc:  # keep tearing down; report it
                self.result.leftovers.append(f"{what} failed: {exc}")
        for child in reversed(self.children):
            child.stop()
        for child in self.children:
            if child.proc.returncode is None:
                self.result.leftovers.append(f"{child.name} (pid {child.pid}) still running")
        for port in self.result.ports:
            if port_open(port):
                self.result.leftovers.append(f"port {port} still open")
        if self.result.leftovers:
            self.say("      LEFT BEHIND: " + "; ".join(self.result.leftovers))
        else:
            self.say(f"      nothing left running ({len(self.children)} processes stopped, "
                     f"ports {', '.join(map(str, self.result.ports)) or '-'} closed)")

    # -- helpers --------------------------------------------------------------------------
    def _notice(self, text: str) -> None:
        self.result.notices.append(text)
        self.say(f"      NOTICE: {text}")

    def _start(self, name: str, argv: list[str], cwd: Path | None = None, env: dict | None = None,
               stdout_pipe: bool = False) -> Child:
        child = Child(name, argv, self.work / f"{name.replace(' ', '-')}.log", cwd=cwd,
                      env=env or self.env, stdout_pipe=stdout_pipe)
        self.children.append(child)
        self.result.pids.append(child.pid)
        return child

    def _run_logged(self, name: str, argv: list[str], cwd: Path) -> int:
        child = self._start(name, argv, cwd=cwd)
        return child.proc.wait()

    def _tail(self, name: str) -> str:
        return next((c.log_tail() for c in self.children if c.name == name), "")


def summary_line(summary: ReplaySummary) -> str:
    """Step 7's one line; a figure the replay could not measure (no finals, no script) reads ``-``."""
    wer = "-" if summary.wer is None else f"{summary.wer:.1%}"
    return (f"WER {wer}, final latency p50 {_seconds(summary.latency_p50_s)} s / p95 "
            f"{_seconds(summary.latency_p95_s)} s, {summary.requests_per_s:.2f} requests/s, "
            f"phantom partials {summary.phantoms.phantom_partials}/{summary.phantoms.partials}")


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _event_line(event: dict) -> str:
    if event.get("EventType") != "ADD_TRANSCRIPT_SEGMENT":
        return f"      event {event['EventType']:<8} CallId {event['CallId']}"
    kind = "partial" if event["IsPartial"] else "FINAL  "
    return f"      [{float(event['EndTime']):6.2f}s] {event['Channel']:<6} {kind} {event['Transcript']}"


def clean(work: Path) -> None:
    shutil.rmtree(work, ignore_errors=True)
