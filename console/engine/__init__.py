"""The alert engine: the pipeline that turns normalized alerts into store changes, the one
writer that commits them in batches, and the lifecycle changes people make by hand.
Imports no Qt."""
