"""A `model.fit` cnnlab did not run: recorded live by `cnnlab.keras.Recorder`, or imported
afterwards from a Keras CSVLogger file or a TensorBoard event folder."""
