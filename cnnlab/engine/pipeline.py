"""Pipelines: a TOML file of stages and their parents, queued as one plan (paper 002's chain).

Every stage is checked first (known keys, parents that exist, no cycles, valid options, at most
`MAX_REPEATS` runs in all, as for one `--repeat`), so a typo never leaves half a chain queued.
Then each stage is queued waiting for its parent; the scheduler starts it when the parent ends
`done` and cancels it, with the reason, otherwise.
"""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cnnlab.engine.control import MAX_REPEATS, submit_repeats
from cnnlab.engine.kinds.transfer.spec import TransferSpec
from cnnlab.engine.spec import SpecError, TrainSpec, train_spec
from cnnlab.errors import CnnlabError
from cnnlab.model_refs import is_custom_reference
from cnnlab.models import MODEL_NAMES, ModelError
from cnnlab.models.custom import resolve_model_name
from cnnlab.store import Experiment, ExperimentQuery, Store, list_experiments

STAGE_KEYS = {"name", "parent", "kind", "repeat", "model", "data"} | {
    f.name for f in dataclasses.fields(TransferSpec)
}
TRANSFER_ONLY = {"freeze", "replace_head", "drop_last"}


class PipelineError(CnnlabError):
    """A pipeline file that cannot be run as written."""


@dataclass(frozen=True)
class Stage:
    name: str
    parent: str | None
    repeat: int
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Pipeline:
    name: str
    path: Path
    stages: tuple[Stage, ...]  # parents before children


def load_pipeline(path: Path, lab_models: Mapping[str, str] | None = None) -> Pipeline:
    """Read and check a pipeline file; stages come back parents first."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PipelineError(f"Pipeline file {path} does not exist.") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise PipelineError(f"{path}: cannot read the pipeline ({exc}).") from exc
    raw = data.get("stage")
    if not isinstance(raw, list) or not raw:
        raise PipelineError(f"{path}: no [[stage]] tables; see examples/tiny_chain.toml.")
    stages: dict[str, Stage] = {}
    for index, table in enumerate(raw, start=1):
        stage = _stage(path, index, table, lab_models or {})
        if stage.name in stages:
            raise PipelineError(f"{path}: two stages are named {stage.name!r}.")
        stages[stage.name] = stage
    for stage in stages.values():
        if stage.parent is not None and stage.parent not in stages:
            raise PipelineError(
                f"{path}: stage {stage.name!r} names parent {stage.parent!r}, which is not a "
                f"stage of this file (stages: {', '.join(stages)})."
            )
    total = sum(stage.repeat for stage in stages.values())
    if total > MAX_REPEATS:
        raise PipelineError(
            f"{path}: the stages queue {total:,} runs in all, more than the {MAX_REPEATS:,} one "
            "submission may; split the pipeline or lower the repeats."
        )
    ordered = _parents_first(path, stages)
    name = str(data.get("name", path.stem))
    return Pipeline(name=name, path=path, stages=tuple(ordered))


def _stage(path: Path, index: int, table: Any, lab_models: Mapping[str, str]) -> Stage:
    if not isinstance(table, dict):
        raise PipelineError(f"{path}: stage {index} is not a table.")
    unknown = sorted(set(table) - STAGE_KEYS)
    if unknown:
        raise PipelineError(
            f"{path}: stage {index} has unknown keys {', '.join(unknown)}; "
            f"known: {', '.join(sorted(STAGE_KEYS))}."
        )
    name = table.get("name")
    if not isinstance(name, str) or not name:
        raise PipelineError(f"{path}: stage {index} needs a name.")
    options = {k: v for k, v in table.items() if k not in ("name", "parent", "repeat", "kind")}
    parent = table.get("parent")
    kind = table.get("kind", "transfer" if parent else "train")
    if kind not in ("train", "transfer"):
        raise PipelineError(f"{path}: stage {name!r} has kind {kind!r}; use train or transfer.")
    if kind == "train" and parent is not None:
        raise PipelineError(f"{path}: stage {name!r} is a train stage but names a parent.")
    if kind == "transfer" and parent is None:
        raise PipelineError(f"{path}: transfer stage {name!r} needs a parent.")
    if kind == "train" and TRANSFER_ONLY & set(options):
        raise PipelineError(
            f"{path}: {', '.join(sorted(TRANSFER_ONLY & set(options)))} only apply to transfer "
            f"stages (stage {name!r})."
        )
    if "data" in options and not Path(str(options["data"]).partition("#")[0]).is_absolute():
        options["data"] = str(path.parent / options["data"])  # relative to the pipeline file
    model = options.get("model")
    if isinstance(model, str) and is_custom_reference(model) and not Path(model).is_absolute():
        options["model"] = str(path.parent / model)  # a model file too
    repeat = table.get("repeat", 1)
    if isinstance(repeat, bool) or not isinstance(repeat, int) or not 1 <= repeat <= MAX_REPEATS:
        raise PipelineError(
            f"{path}: stage {name!r} has repeat {repeat!r}; use 1 to {MAX_REPEATS:,}."
        )
    if kind == "transfer" and "model" in options:
        raise PipelineError(
            f"{path}: transfer stage {name!r} takes its parent's model; drop model."
        )
    try:
        if kind == "train" and options.get("model") not in MODEL_NAMES:
            # a custom model (a file, or a lab name of cnnlab.toml): its name is known here,
            # it is found, built and checked for its data by run_pipeline; meanwhile a stand-in
            # source lets the rest be checked
            resolve_model_name(str(options.get("model", "")), lab_models)
            stand_in = {"kind": "function", "path": "-", "function": "-", "sha256": "-"}
            spec: TrainSpec = train_spec(**{"name": name, **options, "model_source": stand_in})
        elif kind == "train":
            spec = train_spec(**{"name": name, **options})
        else:  # a stand-in parent and data: only this stage's own options are checked here
            spec = TransferSpec(**{"model": "parent", "data": "parent", "source": 1, **options})
        dataclasses.replace(spec, seed=spec.seed + repeat - 1)  # the last repeat's seed too
    except (SpecError, ModelError, TypeError) as exc:
        raise PipelineError(f"{path}: stage {name!r}: {exc}") from exc
    return Stage(name=name, parent=parent, repeat=repeat, options=options)


def _parents_first(path: Path, stages: dict[str, Stage]) -> list[Stage]:
    ordered: list[Stage] = []
    state: dict[str, str] = {}

    def visit(stage: Stage, trail: list[str]) -> None:
        if state.get(stage.name) == "done":
            return
        if state.get(stage.name) == "visiting":
            cycle = " -> ".join([*trail[trail.index(stage.name) :], stage.name])
            raise PipelineError(f"{path}: the stages form a cycle: {cycle}.")
        state[stage.name] = "visiting"
        if stage.parent is not None:
            visit(stages[stage.parent], [*trail, stage.name])
        state[stage.name] = "done"
        ordered.append(stage)

    for stage in stages.values():
        visit(stage, [])
    return ordered


def run_pipeline(store: Store, pipeline: Pipeline) -> dict[str, list[int]]:
    """Queue every stage (checked first, all of them); returns each stage's experiment ids.

    A stage with repeats is a group; its children start from the group's first run.
    """
    from cnnlab.config import load_config
    from cnnlab.data import check_batch_fits, validate_data_spec
    from cnnlab.engine.plan import check_data, checked_custom_model, with_model_source

    lab_models = load_config(store.path).models
    for stage in pipeline.stages:  # a custom model's file found first (an unknown name)
        if stage.parent is None:
            stage.options.update(with_model_source(stage.options, lab_models))
    for stage in pipeline.stages:  # check every dataset (and batch) before queueing anything
        if "data" in stage.options:
            options = stage.options
            split = options.get("val_split")
            options["data"] = validate_data_spec(options["data"], val_split=split)
            batch = (
                train_spec(**options).batch  # the zoo's default batch when none is given
                if stage.parent is None
                else options.get("batch", TransferSpec.batch)
            )
            check_batch_fits(
                options["data"],
                batch,
                val_split=split,
                seed=options.get("seed", TrainSpec.seed),
            )
        elif stage.parent is None:
            raise PipelineError(f"{pipeline.path}: stage {stage.name!r} needs data.")
        if stage.parent is None and stage.options.get("model_source"):
            classes = check_data(stage.options["data"]).classes
            planned = checked_custom_model(train_spec(**stage.options), classes)
            stage.options["input"] = planned.input  # the builder's or the file's own
            stage.options["model_source"] = planned.model_source  # with its imports
    ids: dict[str, list[int]] = {}
    root: int | None = None
    for stage in pipeline.stages:
        tag: dict[str, Any] = {
            "pipeline": pipeline.name,
            "stage": stage.name,
            "file": str(pipeline.path),
        }
        if root is not None:
            tag["root"] = root
        name = stage.options.pop("name", None) or f"{pipeline.name}: {stage.name}"
        if stage.parent is None:
            spec: TrainSpec = train_spec(name=name, extra=tag, **stage.options)
            ids[stage.name] = submit_repeats(store, spec, stage.repeat)
        else:
            parent_id = ids[stage.parent][0]
            parent_spec = _spec_of(store, parent_id)
            options = dict(stage.options)
            options.setdefault("data", parent_spec.get("data", ""))
            options.setdefault("input", parent_spec.get("input"))
            spec = TransferSpec(
                name=name,
                model=str(parent_spec.get("model", "")),
                source=parent_id,
                extra=tag,
                **options,
            )
            ids[stage.name] = submit_repeats(
                store, spec, stage.repeat, parent_id=parent_id, wait_for=parent_id
            )
        if root is None:
            root = ids[stage.name][0]
    return ids


def _spec_of(store: Store, experiment_id: int) -> dict[str, Any]:
    from cnnlab.store import get_experiment

    return get_experiment(store, experiment_id).spec


def pipeline_members(store: Store, root: int) -> list[Experiment]:
    """The root experiment and every descendant, parents before children."""
    from cnnlab.store import get_experiment

    members = [get_experiment(store, root)]
    frontier = [root]
    while frontier:
        children: list[Experiment] = []
        for parent in frontier:
            children += list_experiments(
                store, ExperimentQuery(parent_id=parent, sort="id", descending=False, limit=10_000)
            )
        members += children
        frontier = [child.id for child in children]
    return members
