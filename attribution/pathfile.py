"""Aggregated path files: the conventional CSV that attribution tools exchange.

Columns: `path` (channels joined by a separator, `>` by default; spaces around channel names are
stripped), `total_conversions`, optional `total_conversion_value`, `total_null`. Header names are
matched without regard to case or surrounding spaces; other columns are ignored.

Problems that make the whole file unreadable (no header, a required column missing, a column named
twice, no readable row at all) raise `PathFileError` listing every problem with its line number.
A row with a bad cell (not a number, negative, empty path) is skipped and reported in
`PathFile.skipped`, so one bad export line does not lose a month of data. Repeated paths are summed;
an empty `total_conversion_value` cell counts as 0.
"""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TextIO

from attribution.paths import AggregatedPaths, Path

DEFAULT_SEPARATOR = ">"
PATH_COLUMN = "path"
CONVERSIONS_COLUMN = "total_conversions"
VALUE_COLUMN = "total_conversion_value"
NULL_COLUMN = "total_null"
REQUIRED_COLUMNS = (PATH_COLUMN, CONVERSIONS_COLUMN, NULL_COLUMN)


@dataclass(frozen=True)
class RowProblem:
    """Why one line of a path file was not used."""

    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


class PathFileError(ValueError):
    """The path file cannot be read at all; `problems` says where and why."""

    def __init__(self, problems: list[RowProblem] | tuple[RowProblem, ...]) -> None:
        self.problems = tuple(problems)
        super().__init__("unreadable path file:\n" + "\n".join(f"  {problem}" for problem in self.problems))


@dataclass(frozen=True)
class PathFile:
    """The paths read from a file, and the rows skipped on the way."""

    paths: AggregatedPaths
    skipped: tuple[RowProblem, ...]


def parse_path(text: str, *, sep: str = DEFAULT_SEPARATOR) -> Path:
    """Channels of a `path` cell, spaces around each name stripped; ValueError if any name is empty."""
    if not sep:
        raise ValueError("the path separator must not be empty")
    channels = tuple(channel.strip() for channel in text.split(sep))
    if not text.strip():
        raise ValueError("empty path")
    if any(not channel for channel in channels):
        raise ValueError(f"empty channel name in path {text!r}")
    return channels


def _amount(cell: str, column: str) -> float:
    """A non-negative finite number from a cell, or a ValueError naming the column."""
    try:
        amount = float(cell.strip())
    except ValueError:
        raise ValueError(f"{column} {cell.strip()!r} is not a number") from None
    if not math.isfinite(amount) or amount < 0:
        raise ValueError(f"{column} {cell.strip()!r} is not a finite non-negative number")
    return amount


@contextmanager
def _opened(source: str | os.PathLike[str] | TextIO, mode: str) -> Iterator[TextIO]:
    """A text stream for a file name, or the stream itself when given one (left open)."""
    if isinstance(source, str | os.PathLike):
        encoding = "utf-8-sig" if mode == "r" else "utf-8"
        with open(source, mode, newline="", encoding=encoding) as stream:
            yield stream
    else:
        yield source


def read_path_file(
    source: str | os.PathLike[str] | TextIO, *, sep: str = DEFAULT_SEPARATOR, delimiter: str = ","
) -> PathFile:
    """Aggregated paths from a CSV path file; fatal problems raise, bad rows are skipped and reported."""
    with _opened(source, "r") as stream:
        reader = csv.reader(stream, delimiter=delimiter)
        header = next(reader, None)
        if header is None:
            raise PathFileError([RowProblem(1, "the file is empty; expected a header row")])
        names = [name.strip().lower().lstrip("\ufeff") for name in header]
        header_problems = [
            RowProblem(reader.line_num, f"column {name!r} appears more than once")
            for name in dict.fromkeys(names)
            if names.count(name) > 1 and name
        ]
        missing = [name for name in REQUIRED_COLUMNS if name not in names]
        if missing:
            header_problems.append(
                RowProblem(
                    reader.line_num,
                    f"missing required column(s) {', '.join(missing)}; found {', '.join(names) or 'none'}",
                )
            )
        if header_problems:
            raise PathFileError(header_problems)

        column = {name: names.index(name) for name in (*REQUIRED_COLUMNS, VALUE_COLUMN) if name in names}
        has_value = VALUE_COLUMN in column
        paths: list[Path] = []
        conversions: list[float] = []
        nulls: list[float] = []
        values: list[float] = []
        skipped: list[RowProblem] = []
        for row in reader:
            if not row or all(not cell.strip() for cell in row):
                continue
            try:
                if len(row) != len(names):
                    raise ValueError(f"expected {len(names)} fields, found {len(row)}")
                path = parse_path(row[column[PATH_COLUMN]], sep=sep)
                converted = _amount(row[column[CONVERSIONS_COLUMN]], CONVERSIONS_COLUMN)
                lost = _amount(row[column[NULL_COLUMN]], NULL_COLUMN)
                value = _amount(row[column[VALUE_COLUMN]] or "0", VALUE_COLUMN) if has_value else 0.0
            except ValueError as problem:
                skipped.append(RowProblem(reader.line_num, str(problem)))
                continue
            paths.append(path)
            conversions.append(converted)
            nulls.append(lost)
            values.append(value)

    if skipped and not paths:
        raise PathFileError([*skipped, RowProblem(reader.line_num, "no readable row in the file")])
    aggregated = AggregatedPaths.merged(paths, conversions, nulls, values if has_value else None)
    return PathFile(paths=aggregated, skipped=tuple(skipped))


def _number(amount: float) -> str:
    """An amount as written in path files: whole numbers without a trailing `.0`."""
    return str(int(amount)) if float(amount).is_integer() else repr(float(amount))


def write_path_file(
    paths: AggregatedPaths, destination: str | os.PathLike[str] | TextIO, *, sep: str = DEFAULT_SEPARATOR
) -> None:
    """Paths written in the conventional CSV form that `read_path_file` reads back unchanged."""
    clashing = sorted({channel for channel in paths.channels if sep in channel or channel != channel.strip()})
    if clashing:
        raise ValueError(f"channel names {clashing} contain the separator {sep!r} or surrounding spaces")
    with _opened(destination, "w") as stream:
        writer = csv.writer(stream, lineterminator="\n")
        has_value = paths.values is not None
        writer.writerow(
            [PATH_COLUMN, CONVERSIONS_COLUMN, *([VALUE_COLUMN] if has_value else []), NULL_COLUMN]
        )
        for row, path in enumerate(paths.paths):
            value = [_number(paths.values[row])] if paths.values is not None else []
            writer.writerow(
                [sep.join(path), _number(paths.conversions[row]), *value, _number(paths.nulls[row])]
            )
