"""Datasets: image folders in Fruits360 layout, CIFAR100 files, synthetic images, regrouping."""
