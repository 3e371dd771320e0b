"""The job kinds: each one's spec, submit-time checks and job code, in a folder of its own.

A kind reports only through the `Reporter` it is given and never imports the scheduler
(an import-linter contract says so); TensorFlow is imported inside its job code only.
"""
