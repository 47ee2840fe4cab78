"""Pure policy semantics: which tiers, policies and rules decide a flow, and why.

No I/O and no knowledge of where the Snapshot came from. Entry points: :mod:`.index` builds
per-snapshot lookups, :mod:`.path` decides whole paths (calico-semantics §9).
"""
