"""What a backend operation raises when it refuses: the checks of the store's own rules."""


class BackendError(Exception):
    code = "backend_error"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class NotFound(BackendError):
    code = "not_found"


class RuleViolation(BackendError):
    """A business rule refused the write; nothing was changed."""

    code = "rule_violation"
