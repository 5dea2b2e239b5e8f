import pytest

from loopdesk.core.spreadsheets import safe_cell, safe_row


@pytest.mark.parametrize(("value", "expected"), [
    ("=HYPERLINK(\"http://x\",\"y\")", "'=HYPERLINK(\"http://x\",\"y\")"),
    ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
    ("-2+3", "'-2+3"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=1", "'\t=1"),
    ("-3", "-3"), ("+86", "+86"), ("-1.5", "-1.5"),
    ("打印机=故障", "打印机=故障"), ("", ""), (42, 42), (None, None),
])
def test_formula_like_text_is_neutralised(value, expected):
    assert safe_cell(value) == expected


def test_safe_row():
    assert safe_row(["=1", "a", 2]) == ["'=1", "a", 2]
