"""Errors a command can end with; the API maps each to a problem."""


class NotFound(LookupError):
    """The command names something followup does not know."""


class Forbidden(PermissionError):
    """The caller may not do this to that."""


class Conflict(RuntimeError):
    """The thing is not in a state that allows the command."""
