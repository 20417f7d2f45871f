"""Errors gapmap raises, so callers (the CLI, the app) can tell the user what to do next.

Hierarchy::

    GapmapError                      base: every error gapmap raises on purpose
    ├── DataValidationError          a file or frame breaks the data contract (lists every problem)
    ├── MissingColumnError           an analysis needs a column the data does not have
    ├── ParameterError               an analysis parameter is out of range or of the wrong kind (also a ValueError)
    ├── ScenarioError                a scenario file or change is malformed or does not apply to the region
    ├── DatasetExistsError           a dataset of the same name exists (save again with overwrite)
    └── DataSourceError              a file or service cannot give the data (format, encoding, missing file)
        ├── NetworkError             a download or the geocoder could not be reached or answered an error
        └── CensusError              the Census API refused the request or answered garbage
            └── CensusKeyError       no Census API key, or a key the API refuses

Every message names what was wrong (file, row, column, value) and what was expected.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "GapmapError",
    "DataValidationError",
    "MissingColumnError",
    "ParameterError",
    "DataSourceError",
    "NetworkError",
    "CensusError",
    "CensusKeyError",
    "ScenarioError",
    "DatasetExistsError",
    "Problem",
]


class GapmapError(Exception):
    """Base class of every error gapmap raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One bad value: where it is, what it is and what was expected.

    ``row`` is the 1-based data row (row 1 is the first row under the header), or None when the
    problem concerns a whole column.
    """

    row: int | None
    column: str
    value: object
    expected: str

    def describe(self, source: str = "") -> str:
        where = f"{source}, " if source else ""
        if self.row is None:
            return f"{where}column {self.column!r}: {self.expected}"
        return f"{where}row {self.row}, column {self.column!r}, value {_show(self.value)}: expected {self.expected}"


def _show(value: object) -> str:
    if value is None or (isinstance(value, float) and value != value) or type(value).__name__ == "NAType":  # pandas.NA, not imported here
        return "(empty)"
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 60 else text[:57] + "..."


class DataValidationError(GapmapError):
    """A table breaks the data contract. ``problems`` lists every bad value found."""

    max_listed = 20

    def __init__(self, source: str, problems: list[Problem]):
        self.source = source
        self.problems = list(problems)
        lines = [p.describe(source) for p in self.problems[: self.max_listed]]
        more = len(self.problems) - self.max_listed
        if more > 0:
            lines.append(f"... and {more} more problems")
        n = len(self.problems)
        head = f"{source}: {n} problem{'s' if n != 1 else ''} found"
        super().__init__(head + "\n" + "\n".join("  - " + line for line in lines))


class MissingColumnError(GapmapError):
    """An analysis needs a column that the data does not have."""

    def __init__(self, column: str, needed_for: str, available: list[str] | None = None):
        self.column = column
        self.needed_for = needed_for
        msg = f"{needed_for} needs the column {column!r}, which the data does not have"
        if available is not None:
            msg += f" (it has: {', '.join(map(str, available))})"
        super().__init__(msg)


class ParameterError(GapmapError, ValueError):
    """An analysis parameter is out of range or of the wrong kind."""


class DataSourceError(GapmapError):
    """A file or source cannot be read at all."""


class NetworkError(DataSourceError):
    """A download (boundary files) or the geocoder could not be reached, or answered with an error; the
    message says what to do (usually: try again later, or work offline from the cache)."""


class CensusError(DataSourceError):
    """The Census API could not give the data; the message says what happened and what to do."""


class CensusKeyError(CensusError):
    """No key, or a key the API refuses."""


class ScenarioError(GapmapError):
    """A change of a scenario cannot be applied, or a scenario file is malformed; the message names the change."""


class DatasetExistsError(GapmapError):
    """A dataset with the same key exists already; save again with ``overwrite=True`` to replace it."""

    def __init__(self, key: str, name: str):
        self.key = key
        self.existing_name = name
        super().__init__(
            f"a dataset called {name!r} exists already (the same name once spaces and case are set aside); replace it or choose another name"
        )
