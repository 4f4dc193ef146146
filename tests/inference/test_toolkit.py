"""The hooks inside the real Hugging Face inference toolkit, from an artifact-shaped model dir.

The builder ships this package as ``code/whisper_inference/`` next to a
``code/inference.py`` that re-exports the hooks; the toolkit puts ``code/`` on
``sys.path`` and imports ``inference``. Laying the directory out the same way proves the
package works under its other name (relative imports only) and through the toolkit's
own calling conventions (JSON bodies handed over as ``str``, Accept defaulting to JSON).

The toolkit runs in its own environment (``requirements/toolkit.lock``, made by
``scripts/setup.sh test``): its transformers<5 needs numpy and huggingface-hub older than
the ones the serving runtime pins, which the dev environment holds.
"""

from __future__ import annotations

import base64
import io
import json
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest
import srt
import webvtt

from builder.cache import cache_root
from replay.wer import wer

REPO = Path(__file__).resolve().parents[2]
ENTRY = "from whisper_inference.handler import model_fn, input_fn, predict_fn, output_fn\n"


@pytest.fixture(scope="module")
def toolkit_python() -> Path:
    python = cache_root() / "toolkit-venv" / "bin" / "python"
    if not python.exists():
        pytest.fail(f"the toolkit's environment is missing at {python.parent.parent}: run scripts/setup.sh test")
    return python


@pytest.fixture(scope="module")
def artifact_dir(tmp_path_factory, model_dir: Path) -> Path:
    root = tmp_path_factory.mktemp("artifact")
    for path in model_dir.iterdir():
        (root / path.name).symlink_to(path)
    shutil.copytree(REPO / "inference", root / "code" / "whisper_inference",
                    ignore=shutil.ignore_patterns("__pycache__"))
    (root / "code" / "inference.py").write_text(ENTRY)
    return root


@pytest.mark.slow
def test_handler_service_transcribes_lca_and_raw_requests(toolkit_python: Path, artifact_dir: Path, jfk, clips):
    # In a fresh interpreter: the toolkit inserts code/ into sys.path and imports "inference",
    # which must be code/inference.py, never this repository's package.
    script = textwrap.dedent(f"""
        import json, sys
        from mms.context import Context, RequestProcessor
        from mms.metrics.metrics_store import MetricsStore
        from sagemaker_huggingface_inference_toolkit import handler_service
        from sagemaker_huggingface_inference_toolkit.handler_service import HuggingFaceHandlerService

        # The toolkit's only torch use on this path is its GPU probe (torch.cuda.is_available,
        # present in the DLC image); torch is not installed here, so answer it: no GPU.
        handler_service._is_gpu_available = lambda: False

        def context(headers):
            ctx = Context("whisper", {str(artifact_dir)!r}, {{}}, 1, None, "1.1.11")
            ctx.request_processor = [RequestProcessor(headers)]
            ctx.metrics = MetricsStore(["r"], "whisper")
            return ctx

        service = HuggingFaceHandlerService()
        results = []
        for body, headers in json.load(sys.stdin):
            ctx = context(headers)
            try:
                out = service.handle([{{"body": body.encode("latin-1")}}], ctx)[0]
                results.append([200, ctx.get_response_content_type(0), out])
            except Exception as exc:
                results.append([getattr(exc, "error_code", 500), type(exc).__name__, str(exc)])
        import inference, whisper_inference
        results.append([inference.__file__, whisper_inference.__file__])
        print(json.dumps(results))
    """)
    lca = json.dumps({"audio_input": list(jfk.path.read_bytes()),
                      "parameters": {"language": "en", "beam_size": 5, "temperature": 0.0}})
    short = next(c for c in clips if c.name == "librivox-0930")
    requests = [
        [lca, {"Content-Type": "application/json"}],  # LCA: no Accept header
        [short.path.read_bytes().decode("latin-1"), {"Content-Type": "audio/wav", "Accept": "*/*"}],
        ['{"audio_input": [1, 2', {"Content-Type": "application/json"}],
        [lca, {"Content-Type": "application/json", "Accept": "text/csv"}],
        [short.path.read_bytes().decode("latin-1"), {"Content-Type": "audio/wav", "Accept": "text/vtt"}],
        [json.dumps({"audio_data": base64.b64encode(short.path.read_bytes()).decode(),
                     "parameters": {"response_format": "srt"}}),
         {"Content-Type": "application/json", "Accept": "application/x-subrip"}],
    ]
    proc = subprocess.run([str(toolkit_python), "-c", script], input=json.dumps(requests), capture_output=True,
                          text=True, cwd=artifact_dir, timeout=300, env={"PATH": "/usr/bin:/bin", "HOME": "/tmp"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    *answers, (entry_file, package_file) = json.loads(proc.stdout.strip().splitlines()[-1])
    assert Path(entry_file) == artifact_dir / "code" / "inference.py"
    assert Path(package_file).parent == artifact_dir / "code" / "whisper_inference"

    status, content_type, body = answers[0]
    assert (status, content_type) == (200, "application/json"), answers[0]
    assert wer([jfk.reference], [json.loads(body)["text"]]) <= 0.1
    status, content_type, body = answers[1]
    assert (status, content_type) == (200, "application/json")
    assert wer([short.reference], [json.loads(body)["text"]]) <= 0.2
    # the toolkit turns every exception into a 400 PredictionException carrying our message
    assert answers[2][0] == 400 and "malformed JSON" in answers[2][2]
    assert answers[3][0] == 400 and "cannot answer with 'text/csv'" in answers[3][2]
    # other formats through the toolkit: the Accept header, or the parameter carried from input_fn to output_fn
    status, content_type, body = answers[4]
    assert (status, content_type) == (200, "text/vtt") and body.startswith("WEBVTT\n\n")
    assert wer([short.reference], [" ".join(c.text for c in webvtt.from_buffer(io.StringIO(body)).captions)]) <= 0.2
    status, content_type, body = answers[5]
    assert (status, content_type) == (200, "application/x-subrip")
    assert wer([short.reference], [" ".join(c.content for c in srt.parse(body))]) <= 0.2
