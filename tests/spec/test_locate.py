"""The key locator: the (line, column) of every key and header in TOML that tomllib accepts."""

from __future__ import annotations

import sys

from engine.spec.locate import Position, locate_keys, nearest_position

if sys.version_info >= (3, 11):
    import tomllib
else:  # the loader's own fallback on 3.10
    import tomli as tomllib


def at(source: str) -> dict[tuple, tuple[int, int]]:
    # The locator is only specified for valid TOML, so every input here must be valid first.
    tomllib.loads(source)
    return {path: (p.line, p.column) for path, p in locate_keys(source).items()}


def test_tables_and_their_keys():
    source = """\
name = "demo"

[baseline]
model = "m"
  dtype = "float32"
 [ a . "b" ]  # a spaced, partly quoted header
k = 1
"""
    assert at(source) == {
        ("name",): (1, 1),
        ("baseline",): (3, 1),
        ("baseline", "model"): (4, 1),
        ("baseline", "dtype"): (5, 3),
        ("a", "b"): (6, 2),
        ("a", "b", "k"): (7, 1),
    }


def test_arrays_of_tables_are_indexed_per_parent():
    source = """\
[[variants]]
name = "a"
[variants.quantization]
method = "hqq"
[[variants]]
name = "b"
[[variants.extra]]
[[variants.extra]]
"""
    assert at(source) == {
        ("variants",): (1, 1),  # the array itself: its first header
        ("variants", 0): (1, 1),
        ("variants", 0, "name"): (2, 1),
        ("variants", 0, "quantization"): (3, 1),
        ("variants", 0, "quantization", "method"): (4, 1),
        ("variants", 1): (5, 1),
        ("variants", 1, "name"): (6, 1),
        ("variants", 1, "extra"): (7, 1),
        ("variants", 1, "extra", 0): (7, 1),
        ("variants", 1, "extra", 1): (8, 1),
    }


def test_dotted_and_quoted_keys_record_every_part():
    source = """\
a.b.c = 1
"q.k".x = 2
'lit' = 3
"""
    assert at(source) == {
        ("a",): (1, 1),
        ("a", "b"): (1, 3),
        ("a", "b", "c"): (1, 5),
        ("q.k",): (2, 1),
        ("q.k", "x"): (2, 7),
        ("lit",): (3, 1),
    }


def test_inline_tables_record_the_column_of_each_key():
    source = 'q = { method = "hqq", nbits = 4, sub = { a = "}" }, e = {} }\n'
    assert at(source) == {
        ("q",): (1, 1),
        ("q", "method"): (1, 7),
        ("q", "nbits"): (1, 23),
        ("q", "sub"): (1, 34),
        ("q", "sub", "a"): (1, 42),
        ("q", "e"): (1, 53),
    }


def test_multi_line_arrays_index_their_elements():
    source = """\
x = [
  1,  # a comment with ] in it
  { k = 1 },
  "a string with ] and ,",
  [2, 3],
]
after = 1
"""
    assert at(source) == {
        ("x",): (1, 1),
        ("x", 0): (2, 3),
        ("x", 1): (3, 3),
        ("x", 1, "k"): (3, 5),
        ("x", 2): (4, 3),
        ("x", 3): (5, 3),
        ("x", 3, 0): (5, 4),
        ("x", 3, 1): (5, 7),
        ("after",): (7, 1),
    }


def test_lines_inside_multi_line_strings_are_not_keys():
    source = '''\
basic = """
x = 1
[table]
"""
literal = \'\'\'
y = 2 \\"""
\'\'\'
in_array = ["""
z = 3
""", 4]
in_inline = { s = """
w = 5""", t = 6 }
after = 7
'''
    assert at(source) == {
        ("basic",): (1, 1),
        ("literal",): (5, 1),
        ("in_array",): (8, 1),
        ("in_array", 0): (8, 13),
        ("in_array", 1): (10, 6),
        ("in_inline",): (11, 1),
        ("in_inline", "s"): (11, 15),
        ("in_inline", "t"): (12, 11),
        ("after",): (13, 1),
    }


def test_comments_and_strings_with_hashes_are_not_keys():
    source = """\
# a = 1
   # [table]
b = "c # d = 2"  # e = 3
"""
    assert at(source) == {("b",): (3, 1)}


def test_crlf_line_endings():
    assert at("a = 1\r\n[b]\r\nc = 2\r\n") == {("a",): (1, 1), ("b",): (2, 1), ("b", "c"): (3, 1)}


def test_nearest_position_falls_back_to_the_closest_parent():
    positions = {("checks",): Position(5, 1), ("checks", 0): Position(5, 1)}
    missing = ("checks", 0, "tolerance")
    assert nearest_position(positions, missing) == (Position(5, 1), ("checks", 0))
    assert nearest_position(positions, ("checks",)) == (Position(5, 1), ("checks",))
    assert nearest_position(positions, ("baseline", "model")) == (None, ())


def test_nearest_position_on_a_located_document():
    positions = locate_keys("[[checks]]\nmetric = 'm'\n")
    assert nearest_position(positions, ("checks", 0, "tolerance")) == (Position(1, 1), ("checks", 0))


def test_escaped_quotes_in_a_multi_line_string_do_not_end_it():
    source = 'x = """\na \\""" b\ny = 1\n"""\nw = 2\n'
    assert at(source) == {("x",): (1, 1), ("w",): (5, 1)}


def test_escaped_quote_in_a_quoted_key():
    assert at('"a\\"b" = 1\n') == {('a"b',): (1, 1)}
