"""Training from scratch: the job, its Keras callbacks, checkpoints, BN recalibration and
the stuck-at-chance watch.
"""
