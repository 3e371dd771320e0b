"""A transfer from a recorded fit (`cnnlab.keras.Recorder`) whose dataset is only a label asks
for --data in one sentence, before anything else is checked."""

from __future__ import annotations

import pytest

from cnnlab.engine import prepare_transfer
from cnnlab.errors import CnnlabError
from cnnlab.store import Store, create_experiment


def test_a_fit_with_a_dataset_label_needs_data(store: Store) -> None:
    fit = create_experiment(
        store, "fit", model="my_net", dataset="cifar10", spec={"source": "recorder"}, status="done"
    )
    with pytest.raises(CnnlabError, match=r"names no dataset cnnlab can load \(fit: cifar10\); "
                       "pass --data for the transfer"):  # fmt: skip
        prepare_transfer(store, fit, freeze="layers:conv_a", replace_head=False)
