"""Regrouping classes by name pattern and balancing them, as in paper 002's third stage."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from cnnlab.data import (
    DatasetError,
    parse_regroup_spec,
    regroup_dataset,
    scan_folder_dataset,
    write_synthetic_dataset,
)


@pytest.fixture(scope="module")
def twelve_fruits(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """12 Fruits360-like classes (3 apples, 3 pears, 6 others), 8 training images each."""
    root = tmp_path_factory.mktemp("regroup") / "fruits"
    write_synthetic_dataset(root, classes=12, per_class=8, size=12, seed=1)
    return root


def _sources(paths: tuple[str, ...]) -> Counter[str]:
    return Counter(Path(path).parent.name for path in paths)


def test_paper_002_spec_groups_and_balances(twelve_fruits: Path) -> None:
    dataset = scan_folder_dataset(twelve_fruits)

    grouped = regroup_dataset(dataset, "apple=*apple*,pear=*pear*,noise=*", per_class=18, seed=0)

    assert grouped.class_names == ("apple", "pear", "noise")
    assert grouped.train.per_class(3) == [18, 18, 18]
    assert grouped.validation.per_class(3) == [6, 6, 6]
    by_group = [
        _sources(
            tuple(
                p
                for p, label in zip(grouped.train.paths, grouped.train.labels, strict=True)
                if label == g
            )
        )
        for g in range(3)
    ]
    assert set(by_group[0]) == {"Apple Red", "Apple Golden", "Apple Granny Smith"}
    assert set(by_group[1]) == {"Pear", "Pear Williams", "Pear Abate"}
    assert by_group[0].most_common()[0][1] == 6  # 18 taken evenly from 3 apple classes
    # The noise group draws evenly from its six classes: three images from each.
    assert sorted(by_group[2].values()) == [3] * 6
    assert not set(by_group[2]) & (set(by_group[0]) | set(by_group[1]))


def test_balancing_is_deterministic_by_seed(twelve_fruits: Path) -> None:
    dataset = scan_folder_dataset(twelve_fruits)
    spec = "apple=*apple*,rest=*"

    first = regroup_dataset(dataset, spec, per_class=10, seed=3)
    again = regroup_dataset(dataset, spec, per_class=10, seed=3)
    other = regroup_dataset(dataset, spec, per_class=10, seed=4)

    assert first == again
    assert first.train.paths != other.train.paths


def test_without_per_class_every_image_is_kept(twelve_fruits: Path) -> None:
    grouped = regroup_dataset(scan_folder_dataset(twelve_fruits), "pear=*PEAR*|kiwi,apple=apple*")

    # Groups take classes case-insensitively, several patterns per group; the rest is left out.
    assert grouped.train.per_class(2) == [4 * 8, 3 * 8]


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        ("apple", "Regroup item 'apple' is not name=pattern"),
        ("apple=*apple*", "at least two groups"),
        ("a=*apple*,a=*pear*", "names the group 'a' twice"),
        ("a=*apple*,=*pear*", "is not name=pattern"),
    ],
)
def test_bad_specs_are_one_sentence(spec: str, fragment: str) -> None:
    with pytest.raises(DatasetError, match=fragment):
        parse_regroup_spec(spec)


def test_group_matching_nothing_lists_the_classes(twelve_fruits: Path) -> None:
    with pytest.raises(DatasetError, match=r"'grape' \(\*grape\*\) matches no class.*Apple Red"):
        regroup_dataset(scan_folder_dataset(twelve_fruits), "grape=*grape*,rest=*")


def test_too_few_images_for_the_balance_says_how_many(twelve_fruits: Path) -> None:
    with pytest.raises(
        DatasetError, match=r"'apple' has only 24 training images, fewer than the 25"
    ):
        regroup_dataset(scan_folder_dataset(twelve_fruits), "apple=*apple*,rest=*", per_class=25)
