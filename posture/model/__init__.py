"""Frozen value types the analysis works on. Standard library only, no I/O."""
