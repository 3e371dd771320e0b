"""Class regrouping as in paper 002's third stage: merge source classes into new ones by name
pattern (`apple=*apple*,pear=*pear*,noise=*`) and balance them to N images each, by seed.

Each source class joins the first group whose pattern matches its name (case-insensitive globs,
several per group joined by `|`); classes that match no group are left out.
"""

from __future__ import annotations

import fnmatch
import random
from dataclasses import dataclass, replace

from cnnlab.data.errors import DatasetError
from cnnlab.data.folders import FolderDataset, ImageFiles


@dataclass(frozen=True)
class ClassGroup:
    """One new class: its name and the glob patterns of the source classes it takes."""

    name: str
    patterns: tuple[str, ...]


def parse_regroup_spec(spec: str) -> tuple[ClassGroup, ...]:
    """Parse `name=pattern[|pattern...],...` into groups, in order."""
    groups: list[ClassGroup] = []
    for item in (part.strip() for part in spec.split(",")):
        if not item:
            continue
        name, sep, patterns = item.partition("=")
        name = name.strip()
        globs = tuple(p.strip() for p in patterns.split("|") if p.strip())
        if not sep or not name or not globs:
            raise DatasetError(
                f"Regroup item {item!r} is not name=pattern "
                "(e.g. 'apple=*apple*,pear=*pear*,noise=*')."
            )
        if any(group.name == name for group in groups):
            raise DatasetError(f"Regroup spec {spec!r} names the group {name!r} twice.")
        groups.append(ClassGroup(name, globs))
    if len(groups) < 2:
        raise DatasetError(
            f"Regroup spec {spec!r} must define at least two groups "
            "(e.g. 'apple=*apple*,pear=*pear*,noise=*')."
        )
    return tuple(groups)


def assign_groups(class_names: tuple[str, ...], groups: tuple[ClassGroup, ...]) -> dict[str, int]:
    """Source class name -> index of the first group that matches it."""
    assignment: dict[str, int] = {}
    for class_name in class_names:
        lowered = class_name.lower()
        for index, group in enumerate(groups):
            if any(fnmatch.fnmatchcase(lowered, p.lower()) for p in group.patterns):
                assignment[class_name] = index
                break
    return assignment


def _balanced_sample(by_source: list[list[str]], count: int, rng: random.Random) -> list[str]:
    """`count` paths taken round-robin across source classes, so each contributes evenly."""
    pools = [list(paths) for paths in by_source if paths]
    for pool in pools:
        rng.shuffle(pool)
    rng.shuffle(pools)
    chosen: list[str] = []
    depth = 0
    while len(chosen) < count:
        layer = [pool[depth] for pool in pools if depth < len(pool)]
        if not layer:
            break
        chosen.extend(layer[: count - len(chosen)])
        depth += 1
    return chosen


def _regroup_split(
    files: ImageFiles,
    class_names: tuple[str, ...],
    assignment: dict[str, int],
    num_groups: int,
) -> list[list[list[str]]]:
    """Per group, per source class: the paths of `files`."""
    per_group: list[dict[int, list[str]]] = [{} for _ in range(num_groups)]
    for path, label in zip(files.paths, files.labels, strict=True):
        group = assignment.get(class_names[label])
        if group is not None:
            per_group[group].setdefault(label, []).append(path)
    return [[paths for _, paths in sorted(sources.items())] for sources in per_group]


def regroup_dataset(
    dataset: FolderDataset, spec: str, *, per_class: int | None = None, seed: int = 0
) -> FolderDataset:
    """`dataset` with its classes merged by `spec`; with `per_class`, each new class gets exactly
    that many training images (and equally many validation images, as many as all groups have).
    """
    groups = parse_regroup_spec(spec)
    if per_class is not None and (isinstance(per_class, bool) or per_class < 1):
        raise DatasetError(f"Images per class must be a positive integer, got {per_class!r}.")
    assignment = assign_groups(dataset.class_names, groups)
    for index, group in enumerate(groups):
        if index not in assignment.values():
            raise DatasetError(
                f"Regroup group {group.name!r} ({'|'.join(group.patterns)}) matches no class "
                f"of {dataset.root}; its classes are: {', '.join(dataset.class_names)}."
            )
    train = _regroup_split(dataset.train, dataset.class_names, assignment, len(groups))
    validation = _regroup_split(dataset.validation, dataset.class_names, assignment, len(groups))
    rng = random.Random(seed)
    if per_class is not None:
        for group, sources in zip(groups, train, strict=True):
            available = sum(len(paths) for paths in sources)
            if available < per_class:
                raise DatasetError(
                    f"Regroup group {group.name!r} has only {available} training images, fewer "
                    f"than the {per_class} per class asked for; lower it or widen the pattern."
                )
        validation_count = min(
            [per_class, *(sum(len(paths) for paths in sources) for sources in validation)]
        )
        train_lists = [_balanced_sample(sources, per_class, rng) for sources in train]
        validation_lists = [_balanced_sample(s, validation_count, rng) for s in validation]
    else:
        train_lists = [[p for paths in sources for p in paths] for sources in train]
        validation_lists = [[p for paths in sources for p in paths] for sources in validation]

    def as_files(lists: list[list[str]]) -> ImageFiles:
        pairs = sorted((path, label) for label, paths in enumerate(lists) for path in paths)
        return ImageFiles(tuple(p for p, _ in pairs), tuple(label for _, label in pairs))

    return replace(
        dataset,
        class_names=tuple(group.name for group in groups),
        train=as_files(train_lists),
        validation=as_files(validation_lists),
    )
