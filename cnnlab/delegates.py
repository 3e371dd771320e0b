"""Where a TFLite model can run, declared once for the bench spec (engine) and the runners
(devices): its own module, importing nothing, because the devices package may not import the
engine and the option declarations must not load the devices package at every command's start.
"""

DELEGATES = ("cpu", "xnnpack", "gpu", "nnapi")
