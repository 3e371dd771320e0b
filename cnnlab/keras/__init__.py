"""`Recorder`: a Keras callback that records a `model.fit` in your own script or notebook.

Researchers already have their training code (papers' authors trained in notebooks); this
callback meets them there, as W&B's and MLflow's do: `model.fit(..., callbacks=[Recorder(
name="stage 1")])` creates a `fit` experiment in `experiments.db` (or `db=`) and writes, live,
every epoch's metrics and learning rate, in-epoch progress, the parameter count and the frozen
layers, early stopping from any Keras `EarlyStopping` in the same fit, and at the end the model
as a `.keras` artifact so that `cnnlab convert`, `transfer` and `bench` work on it. Run by
`cnnlab run -- python script.py`, it reports into that job's experiment instead.

Importing this package imports Keras (the callback subclasses it) but never Textual; when it
is the first to import TensorFlow, TensorFlow's C++ start-up chatter is kept off the notebook's
output (`cnnlab.quiet_tensorflow`), as for every cnnlab command.

- `recorder`: the callback itself, what it writes and when.
- `sinks`: where it writes (its own row, or the job it was started by) and how a failed write
  waits for the next one instead of breaking the user's fit.
- `fit_context`: what it finds out about the fit it runs in (its other callbacks, EarlyStopping's
  outcome, the frozen layers).
- `watcher`: the thread beside the fit (progress, heartbeat, stop requests, a fit that ended
  by an exception), and `signals`: Ctrl-C and SIGTERM while the fit runs.
- `ending`: how a fit ends (early stopping, the model saved); `model_facts`: what is read off
  the user's model.
"""

from cnnlab.quiet_tensorflow import import_tensorflow_quietly

import_tensorflow_quietly()  # before Keras imports it, unless the user's code already did

from cnnlab.keras.recorder import Recorder, RecorderError  # noqa: E402

__all__ = ["Recorder", "RecorderError"]
