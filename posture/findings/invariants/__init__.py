"""Organisation invariants: rules of the operator's own ("tenant A never reaches tenant B"),
checked exactly against the reachability model on every run (``docs/invariants.md``)."""
