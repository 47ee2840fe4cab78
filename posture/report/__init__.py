"""The report model and its pure renderers (Report in, text out)."""
