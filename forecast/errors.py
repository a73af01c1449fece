"""Typed errors that the CLI turns into one-line messages and exit codes.

Exit codes (shared by every command):

- 0: ok
- 1: internal error (a bug)
- 2: invalid input or configuration; nothing was computed or written
- 3: sampled but not converged (the run is written and marked ``unconverged``)
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

EXIT_OK = 0
EXIT_INPUT = 2
EXIT_UNCONVERGED = 3


class ForecastInputError(Exception):
    """Bad input or configuration: a file, row/field and a fix, on one line.

    Parameters
    ----------
    message
        What is wrong, naming the file and the row or field.
    fix
        What the user should do about it; appended as ``-> fix: ...``.
    """

    exit_code = EXIT_INPUT

    def __init__(self, message: str, fix: str | None = None):
        self.message = " ".join(str(message).split())
        self.fix = " ".join(fix.split()) if fix else None
        super().__init__(self.one_line())

    def one_line(self) -> str:
        """The message and the fix joined on one line."""
        return f"{self.message} -> fix: {self.fix}" if self.fix else self.message


class DataError(ForecastInputError):
    """A data file is missing, malformed or fails validation."""


class ConfigError(ForecastInputError):
    """A prior, scenario or automation TOML file fails validation."""


def did_you_mean(name: str, options: Iterable[str]) -> str:
    """Return ``" (did you mean 'x'?)"`` for the closest option, or ``""``.

    Examples
    --------
    >>> did_you_mean("Normall", ["Normal", "HalfNormal"])
    " (did you mean 'Normal'?)"
    """
    match = difflib.get_close_matches(str(name), list(options), n=1, cutoff=0.6)
    return f" (did you mean '{match[0]}'?)" if match else ""


def checked_settings(factory, command: str, **values):
    """``factory(**values)`` with its ``ValueError`` turned into a one-line input error.

    For settings objects that validate themselves on construction (``SamplerConfig``,
    ``SBCConfig``): the message names the problem and points at ``forecast COMMAND --help``.
    """
    try:
        return factory(**values)
    except ValueError as exc:
        raise ForecastInputError(f"{command} settings: {exc}", f"see 'forecast {command} --help'") from None
