"""Bringing in a model trained elsewhere (a .keras file or a SavedModel)."""
