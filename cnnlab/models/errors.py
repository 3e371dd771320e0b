"""Errors a user can cause when asking the zoo for a model, so the CLI can show one sentence."""

from __future__ import annotations

from cnnlab.errors import CnnlabError


class ModelError(CnnlabError):
    """A model that cannot be built, frozen or re-headed as asked."""


class UnknownModelError(ModelError):
    """A model name that is not in the zoo; the message lists the valid names."""


class InputTooSmallError(ModelError):
    """An input size below what an architecture's strides and valid convolutions allow."""


class WeightsNotFoundError(ModelError):
    """Pretrained weights that are asked for but are not on disk (and download was not allowed)."""
