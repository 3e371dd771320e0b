"""Reusable widgets: the paged experiments table, braille charts, the log tail, the GPU strip."""
