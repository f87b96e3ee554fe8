"""Path files and journey aggregation: the conventional CSV in and out, bad rows by line number."""

from __future__ import annotations

import io

import numpy as np
import pytest

from attribution import (
    AggregatedPaths,
    PathFileError,
    aggregate_journeys,
    parse_path,
    read_path_file,
    write_path_file,
)

pytestmark = pytest.mark.unit


def read(text: str, **options):
    return read_path_file(io.StringIO(text), **options)


def test_reads_paths_strips_spaces_and_sums_repeated_paths() -> None:
    result = read(
        "path,total_conversions,total_conversion_value,total_null\n"
        " google_ads > email ,2,300.5,1\n"
        "google_ads>email,1,100,0\n"
        "direct,0,,4\n"
    )
    assert result.skipped == ()
    assert result.paths.paths == (("google_ads", "email"), ("direct",))
    assert result.paths.conversions.tolist() == [3.0, 0.0]
    assert result.paths.nulls.tolist() == [1.0, 4.0]
    assert result.paths.values.tolist() == [400.5, 0.0]


def test_header_case_column_order_and_extra_columns_do_not_matter() -> None:
    result = read("Total_Null, PATH ,note,total_conversions\n3,a>b,hi,1\n")
    assert result.paths.paths == (("a", "b"),)
    assert result.paths.values is None
    assert (result.paths.conversions[0], result.paths.nulls[0]) == (1.0, 3.0)


def test_separator_is_configurable() -> None:
    result = read("path,total_conversions,total_null\na | b|c,1,0\n", sep="|")
    assert result.paths.paths == (("a", "b", "c"),)


def test_bad_rows_are_skipped_and_reported_by_line() -> None:
    result = read(
        "path,total_conversions,total_null\n"
        "A>B,1,0\n"
        "A>B,one,0\n"
        "\n"
        "B,1,-2\n"
        "A>>B,1,0\n"
        ",1,0\n"
        "C,1\n"
        "C,nan,1\n"
        "C,2,1\n"
    )
    assert [problem.line for problem in result.skipped] == [3, 5, 6, 7, 8, 9]
    reasons = [problem.reason for problem in result.skipped]
    assert "total_conversions 'one' is not a number" in reasons[0]
    assert "total_null '-2'" in reasons[1]
    assert "empty channel name" in reasons[2]
    assert "empty path" in reasons[3]
    assert "expected 3 fields, found 2" in reasons[4]
    assert str(result.skipped[0]).startswith("line 3:")
    assert result.paths.paths == (("A", "B"), ("C",))


def test_missing_required_columns_is_fatal_and_names_line_one() -> None:
    with pytest.raises(PathFileError) as raised:
        read("path,conversions,total_null\nA,1,0\n")
    assert [problem.line for problem in raised.value.problems] == [1]
    assert "missing required column(s) total_conversions" in str(raised.value)


def test_empty_file_and_duplicate_columns_are_fatal() -> None:
    with pytest.raises(PathFileError, match="line 1: the file is empty"):
        read("")
    with pytest.raises(PathFileError, match="'path' appears more than once"):
        read("path,path,total_conversions,total_null\n")


def test_a_file_with_no_readable_row_is_fatal_listing_every_line() -> None:
    with pytest.raises(PathFileError) as raised:
        read("path,total_conversions,total_null\nA,x,0\nB,1,y\n")
    assert [problem.line for problem in raised.value.problems][:2] == [2, 3]
    assert "line 2:" in str(raised.value) and "line 3:" in str(raised.value)


def test_header_only_file_gives_no_paths() -> None:
    result = read("path,total_conversions,total_null\n")
    assert len(result.paths) == 0 and result.skipped == ()


def test_write_then_read_round_trips(tmp_path) -> None:
    paths = AggregatedPaths(
        paths=(("google_ads", "email"), ("direct",)), conversions=[3, 0.5], nulls=[1, 4], values=[400.5, 0]
    )
    file = tmp_path / "paths.csv"
    write_path_file(paths, file)
    assert file.read_text().splitlines() == [
        "path,total_conversions,total_conversion_value,total_null",
        "google_ads>email,3,400.5,1",
        "direct,0.5,0,4",
    ]
    again = read_path_file(file).paths
    assert again.paths == paths.paths
    assert np.array_equal(again.conversions, paths.conversions)
    assert np.array_equal(again.values, paths.values)


def test_writer_refuses_channels_containing_the_separator() -> None:
    paths = AggregatedPaths(paths=(("a>b",),), conversions=[1], nulls=[0])
    with pytest.raises(ValueError, match="separator"):
        write_path_file(paths, io.StringIO())


def test_parse_path() -> None:
    assert parse_path(" a >b ") == ("a", "b")
    with pytest.raises(ValueError, match="empty path"):
        parse_path("  ")


def test_journeys_aggregate_into_paths_with_value_only_on_conversions() -> None:
    paths = aggregate_journeys(
        [["A", "B"], ["A", "B"], ["C"], ["A", "B"]],
        np.array([True, False, False, True]),
        np.array([100.0, 999.0, 5.0, 50.0]),
    )
    assert paths.paths == (("A", "B"), ("C",))
    assert paths.conversions.tolist() == [2.0, 0.0]
    assert paths.nulls.tolist() == [1.0, 1.0]
    assert paths.values.tolist() == [150.0, 0.0]


def test_journeys_without_touches_or_misaligned_flags_are_refused() -> None:
    with pytest.raises(ValueError, match="no touchpoint"):
        aggregate_journeys([["A"], []], [True, False])
    with pytest.raises(ValueError, match="converted flags"):
        aggregate_journeys([["A"]], [True, False])


def test_collapsed_merges_repeats_and_rows() -> None:
    paths = AggregatedPaths(
        paths=(("A", "A", "B"), ("A", "B"), ("B", "B")), conversions=[1, 2, 0], nulls=[0, 1, 3]
    )
    collapsed = paths.collapsed()
    assert collapsed.paths == (("A", "B"), ("B",))
    assert collapsed.conversions.tolist() == [3.0, 0.0]
    assert collapsed.nulls.tolist() == [1.0, 3.0]


def test_paths_validate_their_columns() -> None:
    with pytest.raises(ValueError, match="one entry per path"):
        AggregatedPaths(paths=(("A",),), conversions=[1, 2], nulls=[0])
    with pytest.raises(ValueError, match="non-negative"):
        AggregatedPaths(paths=(("A",),), conversions=[-1], nulls=[0])
    with pytest.raises(ValueError, match="at least one touch"):
        AggregatedPaths(paths=((),), conversions=[1], nulls=[0])
