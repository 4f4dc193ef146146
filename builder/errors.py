"""The error types the command line turns into a single ``ERROR: ...`` line."""


class BuilderError(Exception):
    """A failure the user can act on; its message is shown without a traceback (exit 1)."""


class UsageError(BuilderError):
    """Options that contradict each other or name nothing valid (exit 2, as argparse's own errors)."""


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like SIGINT so every cleanup that runs on Ctrl-C runs for it too
    (temporary files removed, a multipart upload aborted)."""
