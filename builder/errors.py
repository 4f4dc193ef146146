"""The one error type the command line turns into a single ``ERROR: ...`` line."""


class BuilderError(Exception):
    """A failure the user can act on; its message is shown without a traceback."""
