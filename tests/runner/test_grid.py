"""Grid parsing: lists, linspace ranges, defaults, stable cells and clear errors."""

import pytest

from runner.grid import CellParams, GridSpecError, build_grid, grid_cells, parse_values, swept


def test_list_and_range():
    assert parse_values("1.0,0.2,0.5", "temperature") == [0.2, 0.5, 1.0]
    assert parse_values("0.1:2.0:20", "temperature")[:3] == [0.1, 0.2, 0.3]
    assert len(parse_values("0.1:2.0:20", "temperature")) == 20
    assert parse_values("0.5:1:2, 0.9", "top_p") == [0.5, 0.9, 1.0]
    assert parse_values("0:40:5", "top_k") == [0, 10, 20, 30, 40]


def test_defaults_fill_unswept_parameters():
    grid = build_grid({"temperature": "0.5,1", "top_p": "0.9,1.0"})
    assert grid == {"temperature": [0.5, 1.0], "top_p": [0.9, 1.0], "top_k": [0],
                    "min_p": [0.0], "repetition_penalty": [1.0]}
    cells = grid_cells(grid)
    assert cells[0] == CellParams(0.5, 0.9, 0, 0.0, 1.0)
    assert cells[1] == CellParams(0.5, 1.0, 0, 0.0, 1.0)
    assert len(cells) == 4 and swept(grid) == ["temperature", "top_p"]


@pytest.mark.parametrize(
    ("text", "name", "message"),
    [
        ("abc", "temperature", "--temperature: 'abc' is not a number"),
        ("0.1:2", "temperature", "must be start:stop:count"),
        ("0.1:2:0", "temperature", "count >= 1"),
        ("0,0.5", "top_p", "--top-p: 0 is out of range; must be in (0, 1]"),
        ("-1", "temperature", "must be >= 0"),
        ("2.5", "top_k", "--top-k: values must be integers"),
        ("1.5", "min_p", "must be in [0, 1]"),
        ("0", "repetition_penalty", "must be > 0"),
        (" , ", "top_p", "no values given"),
        ("nan", "temperature", "out of range"),
    ],
)
def test_bad_specs_say_what_is_wrong(text, name, message):
    with pytest.raises(GridSpecError, match=message.replace("(", r"\(").replace(")", r"\)")
                       .replace("[", r"\[").replace("]", r"\]")):
        parse_values(text, name)
