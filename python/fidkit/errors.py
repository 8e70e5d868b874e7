"""The exceptions: each library status maps to one class, so a caller
catches what it can act on. The message is the library's (it names the
file, the object and the problem; a tag refusal names both tags)."""

FK_OK, FK_ERR_IO, FK_ERR_FORMAT, FK_ERR_ARG, FK_ERR_NOMEM, FK_ERR_NUMERIC, FK_ERR_TAG, \
    FK_ERR_PLUGIN, FK_ERR_UNSUPPORTED, FK_ERR_INTERNAL = range(10)

_STATUS_NAMES = ("ok", "io", "format", "arg", "nomem", "numeric", "tag", "plugin",
                 "unsupported", "internal")


class Error(Exception):
    """Every fidkit failure. .status is the library's status name ("tag",
    "io", ...) and .exit_code what the CLI would exit with."""

    exit_code = 1

    def __init__(self, message, status="internal"):
        super().__init__(message)
        self.message = message
        self.status = status


class TagMismatchError(Error):
    """Refusing to compare features of different rulers (CLI exit code 3)."""

    exit_code = 3


class BadInputError(Error, ValueError):
    """A file or array that cannot be used: missing, unreadable, malformed,
    non-finite, of the wrong dtype or shape, empty."""


class UsageError(Error, ValueError):
    """A bad argument or option, or something fidkit's Python API does not do
    (the CLI exit code 2)."""

    exit_code = 2


def from_status(code, message):
    """The exception of a library status (fk_status) and its message."""
    name = _STATUS_NAMES[code] if 0 <= code < len(_STATUS_NAMES) else "internal"
    if code == FK_ERR_TAG:
        cls = TagMismatchError
    elif code == FK_ERR_ARG:
        cls = UsageError
    elif code in (FK_ERR_IO, FK_ERR_FORMAT, FK_ERR_NUMERIC, FK_ERR_UNSUPPORTED):
        cls = BadInputError
    else:
        cls = Error
    return cls(message, name)
