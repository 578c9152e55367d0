"""``make bench``: speed and memory figures of the sandbox, the transform and the pipeline."""
