"""The user's own script run as a background job: `cnnlab run -- python train.py ARGS...`."""
