"""The upload component's reading: size limit, what spreadsheets write, and files that are not CSV."""

import codecs

import pytest

from web.uploads import UploadRefused, decode_text

pytestmark = pytest.mark.unit

TEXT = "Created,Notes\n03/01/2025 1:19 PM,Señora Núñez asked about braces\n"


@pytest.mark.parametrize(
    ("raw", "encoding"),
    [
        (TEXT.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF8 + TEXT.encode("utf-8"), "utf-8 (with BOM)"),
        (TEXT.encode("utf-16"), "utf-16"),
        (TEXT.encode("utf-16-le"), "utf-16-le"),
        (TEXT.encode("utf-16-be"), "utf-16-be"),
        (TEXT.encode("cp1252"), "windows-1252"),
    ],
)
def test_what_excel_writes_is_read(raw, encoding):
    uploaded = decode_text(raw, file_name="export.csv", max_bytes=10_000)
    assert uploaded.text == TEXT and uploaded.encoding == encoding


@pytest.mark.parametrize(
    ("raw", "name", "reason"),
    [
        (b"PK\x03\x04rest-of-a-zip", "history.csv", "Excel workbook (.xlsx)"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "history.xls", "old-style Excel workbook (.xls)"),
        (b"%PDF-1.7", "history.pdf", "a PDF"),
        (b"\x89PNG\r\n\x1a\n", "screenshot.png", "an image"),
        (b"   \n", "history.csv", "empty"),
        (b"a,b\n" * 3000, "history.csv", "larger than 10 KB"),
        (TEXT.encode(), "history.numbers", "A .numbers file is not a CSV file"),
        (b"a,b\n\x00\x01\x02\x03\x04\x05", "history.csv", "not a text file"),
    ],
)
def test_what_is_not_a_csv_is_refused_with_the_reason(raw, name, reason):
    with pytest.raises(
        UploadRefused, match=reason.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")
    ):
        decode_text(raw, file_name=name, max_bytes=10_000)


def test_a_path_in_the_file_name_is_dropped():
    assert (
        decode_text(b"a\n", file_name="C:/Users/maya/history.csv", max_bytes=100).file_name == "history.csv"
    )
