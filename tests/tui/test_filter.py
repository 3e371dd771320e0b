"""The filter language: each term becomes the right part of an ExperimentQuery."""

from __future__ import annotations

import pytest

from cnnlab.store import ExperimentQuery
from cnnlab.tui.filter import FilterError, parse_filter


def test_the_example_from_the_issue() -> None:
    query = parse_filter("status:running model:mobilenet* acc>0.9 name:~fruit kind:train")
    assert query.status == ("running",)
    assert query.kind == ("train",)
    assert query.model == "mobilenet*"
    assert query.name_contains == "fruit"
    assert query.compare == (("best_val_accuracy", ">", 0.9),)


def test_lists_percentages_bare_words_and_sort() -> None:
    query = parse_filter("status:running,queued acc>=90% params<1e6 alex sort:-acc")
    assert query.status == ("running", "queued")
    assert query.compare == (("best_val_accuracy", ">=", 0.9), ("params", "<", 1e6))
    assert query.name_contains == "alex"
    assert (query.sort, query.descending) == ("best_val_accuracy", True)


def test_keeps_paging_size_and_resets_offset() -> None:
    query = parse_filter("kind:train", ExperimentQuery(limit=100, offset=300))
    assert (query.limit, query.offset) == (100, 0)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("status:sleeping", "Unknown status 'sleeping'"),
        ("colour:red", "Unknown filter field 'colour'"),
        ("acc>high", "needs a number"),
        ("speed>3", "Cannot compare 'speed'"),
        ('name:"open', "close the quote"),
        ("sort:colour", "Cannot sort by"),
    ],
)
def test_errors_are_one_sentence(text: str, message: str) -> None:
    with pytest.raises(FilterError, match=message):
        parse_filter(text)
