"""The built-in rule catalogue. :func:`default_registry` builds a fresh registry of them all."""

from __future__ import annotations

from posture.findings.registry import Registry
from posture.findings.rules import (
    default_deny,
    deny_shape,
    encryption,
    hygiene,
    inventory,
    lateral,
    node,
    nodeport,
    runtime,
)


def default_registry() -> Registry:
    registry = Registry()
    node.register(registry)
    nodeport.register(registry)
    default_deny.register(registry)
    deny_shape.register(registry)
    encryption.register(registry)
    lateral.register(registry)
    hygiene.register(registry)
    runtime.register(registry)
    inventory.register(registry)
    return registry
