"""TFLite conversion: the spec, submit-time planning, the job, its errors, the file's contents
and the accuracy check against Keras.
"""
