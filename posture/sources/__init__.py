"""Sources: the only I/O that builds a Snapshot (manifests, snapshot files, live clusters)."""
