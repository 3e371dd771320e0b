"""The engine's runtime: what runs jobs, whatever their kind.

The scheduler, the job process, liveness, the reporters (SQLite and run-folder files), their
ingest, and the Slurm backend. It knows kinds only by name (`cnnlab.engine.spec.KINDS`).
"""
