"""Names the local runtime's fixtures and tests share (a module of its own: ``conftest`` is not a
unique module name once several folders' conftests are loaded)."""

ENDPOINT = "whisper-endpoint-test"
