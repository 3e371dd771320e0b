"""Latency benchmarks of TFLite models on the host and on phones."""
