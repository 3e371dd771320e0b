"""The `/` filter language of the experiments screen, parsed into an `ExperimentQuery`.

Kept free of Textual so the help screen, the tests and the parser agree on one grammar:
`status:running model:mobilenet* acc>0.9 name:~fruit kind:train backend:slurm`; bare words match
names.
"""

from __future__ import annotations

import dataclasses
import re
import shlex

from cnnlab.errors import CnnlabError
from cnnlab.store import ExperimentQuery, Kind, Status
from cnnlab.store.views import BACKENDS, ListingQuery

# Short names users type for the store's numeric columns.
NUMERIC_ALIASES = {
    "acc": "best_val_accuracy",
    "val_acc": "best_val_accuracy",
    "best_val_accuracy": "best_val_accuracy",
    "best": "best_value",
    "epochs": "epochs_run",
    "params": "params",
    "seconds": "train_seconds",
    "time": "train_seconds",
    "id": "id",
}
FIELDS = ("status", "kind", "model", "name", "parent", "group", "backend")

FILTER_HELP = """\
| Term | Meaning |
|---|---|
| `status:running` | status is running (several: `status:running,queued`) |
| `kind:train` | job kind (train, transfer, convert, bench, import) |
| `backend:slurm` | where the job runs (local, slurm) |
| `model:mobilenet*` | model name, `*` and `?` are wildcards |
| `name:~fruit` or `fruit` | name contains the text (case-insensitive) |
| `parent:12`, `group:3` | children of experiment 12, repeats in group 3 |
| `acc>0.9` | best validation accuracy (also `acc>90%`) |
| `params<1e6` | also `epochs>=10`, `time<600`, `id>100`, `best>0.5` |
| `sort:acc`, `sort:-created` | order (leading `-` for descending) |
"""

SORT_ALIASES = {
    "acc": "best_val_accuracy",
    "created": "created_at",
    "started": "started_at",
    "finished": "finished_at",
    "duration": "train_seconds",
    "time": "train_seconds",
    "epochs": "epochs_run",
    "best": "best_value",
}
_COMPARISON = re.compile(r"^([a-z_]+)(<=|>=|!=|<|>|=)(.+)$")


class FilterError(CnnlabError):
    """A filter the user typed that the language cannot read."""


def parse_filter(text: str, base: ExperimentQuery | None = None) -> ListingQuery:
    """Turn `text` into a query (keeping `base`'s paging and order unless `sort:` is given)."""
    query = listing_query(base or ExperimentQuery())
    query = dataclasses.replace(
        query,
        status=(),
        backend=(),
        kind=(),
        model=None,
        name_contains=None,
        parent_id=None,
        group_id=None,
        compare=(),
        offset=0,
    )
    try:
        terms = shlex.split(text)
    except ValueError as exc:
        raise FilterError(f"Cannot read the filter ({exc}); close the quote.") from None
    names: list[str] = []
    compare: list[tuple[str, str, float]] = []
    for term in terms:
        field, colon, value = term.partition(":")
        field = field.lower()
        if colon and field in (*FIELDS, "sort"):
            if not value:
                raise FilterError(f"{field}: needs a value, as in {field}:{_example(field)}.")
            query = _apply_field(query, field, value, names)
            continue
        match = _COMPARISON.match(term)
        if match:
            compare.append(_comparison(*match.groups()))
            continue
        if colon:
            raise FilterError(
                f"Unknown filter field {field!r}; use one of {', '.join(FIELDS)}, sort, "
                f"or a comparison such as acc>0.9."
            )
        names.append(term)
    if names:
        query = dataclasses.replace(query, name_contains=" ".join(names))
    return dataclasses.replace(query, compare=tuple(compare))


def listing_query(query: ExperimentQuery) -> ListingQuery:
    """`query` as a ListingQuery (the kind that can filter by backend), unchanged otherwise."""
    if isinstance(query, ListingQuery):
        return query
    fields = {f.name: getattr(query, f.name) for f in dataclasses.fields(query)}
    return ListingQuery(**fields)


def _apply_field(query: ListingQuery, field: str, value: str, names: list[str]) -> ListingQuery:
    if field == "status":
        return dataclasses.replace(query, status=_choices(value, Status, "status"))
    if field == "kind":
        return dataclasses.replace(query, kind=_choices(value, Kind, "kind"))
    if field == "model":
        return dataclasses.replace(query, model=value)
    if field == "backend":
        return dataclasses.replace(query, backend=_backends(value))
    if field == "name":
        names.append(value.removeprefix("~"))
        return query
    if field == "sort":
        descending = value.startswith("-")
        column = SORT_ALIASES.get(value.lstrip("-+"), value.lstrip("-+"))
        from cnnlab.store import SORTABLE

        if column not in SORTABLE:
            raise FilterError(
                f"Cannot sort by {value!r}; use acc, created, name, status, params, "
                "duration or epochs."
            )
        return dataclasses.replace(query, sort=column, descending=descending)
    number = _int(value, field)
    if field == "parent":
        return dataclasses.replace(query, parent_id=number)
    return dataclasses.replace(query, group_id=number)


def _choices(value: str, enum: type[Status] | type[Kind], what: str) -> tuple[str, ...]:
    chosen = tuple(v.strip().lower() for v in value.split(",") if v.strip())
    known = {member.value for member in enum}
    for item in chosen:
        if item not in known:
            raise FilterError(f"Unknown {what} {item!r}; expected one of {', '.join(known)}.")
    return chosen


def _backends(value: str) -> tuple[str, ...]:
    chosen = tuple(v.strip().lower() for v in value.split(",") if v.strip())
    for item in chosen:
        if item not in BACKENDS:
            raise FilterError(f"Unknown backend {item!r}; expected one of {', '.join(BACKENDS)}.")
    return chosen


def _comparison(name: str, operator: str, value: str) -> tuple[str, str, float]:
    column = NUMERIC_ALIASES.get(name)
    if column is None:
        raise FilterError(
            f"Cannot compare {name!r}; use one of {', '.join(sorted(NUMERIC_ALIASES))}."
        )
    try:
        number = float(value.rstrip("%")) / (100 if value.endswith("%") else 1)
    except ValueError:
        raise FilterError(f"{name}{operator} needs a number, got {value!r}.") from None
    return column, operator, number


def _int(value: str, field: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise FilterError(f"{field}: needs an experiment number, got {value!r}.") from None


def _example(field: str) -> str:
    examples = {"status": "running", "kind": "train", "model": "mobilenet*", "sort": "-acc"}
    return {**examples, "backend": "slurm"}.get(field, "12")
