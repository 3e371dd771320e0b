"""The Textual app: a client of the store and the engine that never imports TensorFlow."""
