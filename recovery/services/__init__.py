"""Every write goes through a named service here, one module per domain (cases, parties,
collection, deadlines, lapses, alerts, imports, staff). They share one error: a refused write
raises `RecoveryError`, naming the input at fault when there is one."""


class RecoveryError(Exception):
    """A business rule refused the write; `field` names the input at fault when there is one."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
