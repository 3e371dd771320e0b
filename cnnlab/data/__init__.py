"""Datasets: image folders in Fruits360 layout, CIFAR100 files, synthetic images, regrouping.

Importing this package does not import TensorFlow; building a pipeline, decoding or writing
images does.
"""

from __future__ import annotations

from cnnlab.data.cifar100 import (
    Cifar100,
    check_cifar100,
    is_cifar100_path,
    load_cifar100,
    write_cifar100_archive,
)
from cnnlab.data.errors import DatasetError
from cnnlab.data.folders import (
    FolderDataset,
    ImageFiles,
    SkippedFile,
    image_problem,
    scan_class_names,
    scan_folder_dataset,
)
from cnnlab.data.inspect import DatasetReport, inspect_dataset
from cnnlab.data.pipeline import (
    LoadedDataset,
    array_pipeline,
    file_pipeline,
    folder_pipelines,
    load_cifar100_dataset,
    load_image_folder,
)
from cnnlab.data.regroup import ClassGroup, parse_regroup_spec, regroup_dataset
from cnnlab.data.spec import (
    DataSpec,
    check_batch_fits,
    load_training_data,
    parse_data_spec,
    validate_data_spec,
)
from cnnlab.data.synth import SynthReport, write_synthetic_dataset

__all__ = [
    "Cifar100",
    "ClassGroup",
    "DataSpec",
    "DatasetError",
    "DatasetReport",
    "FolderDataset",
    "ImageFiles",
    "LoadedDataset",
    "SkippedFile",
    "SynthReport",
    "array_pipeline",
    "check_batch_fits",
    "check_cifar100",
    "file_pipeline",
    "folder_pipelines",
    "image_problem",
    "inspect_dataset",
    "is_cifar100_path",
    "load_cifar100",
    "load_cifar100_dataset",
    "load_image_folder",
    "load_training_data",
    "parse_data_spec",
    "parse_regroup_spec",
    "regroup_dataset",
    "scan_class_names",
    "scan_folder_dataset",
    "validate_data_spec",
    "write_cifar100_archive",
    "write_synthetic_dataset",
]
