"""Identity and provenance of objects: references, source locations, immutable label maps."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True, order=True)
class ObjectRef:
    """A Kubernetes-style reference: kind, namespace ('' when cluster-scoped), name."""

    kind: str
    namespace: str
    name: str
    api_version: str = ""

    def __str__(self) -> str:
        if self.namespace:
            return f"{self.kind} {self.namespace}/{self.name}"
        return f"{self.kind} {self.name}"


@dataclass(frozen=True, slots=True)
class SourceLocation:
    """Where an object came from: a file and 1-based line, or a live cluster URL."""

    origin: str
    line: int = 0

    def __str__(self) -> str:
        return f"{self.origin}:{self.line}" if self.line else self.origin


class Labels(dict[str, str]):
    """An immutable, hashable label map (selectors evaluate against these).

    A dict subclass so that selector evaluation (``get``, ``in``) runs at C speed; every
    mutating method raises.
    """

    __slots__ = ("_hash",)

    def __init__(self, items: Mapping[str, str] | None = None) -> None:
        super().__init__(sorted((items or {}).items()))
        self._hash = hash(tuple(self.items()))

    def __hash__(self) -> int:  # type: ignore[override]
        return self._hash

    def _immutable(self, *args: object, **kwargs: object) -> None:
        raise TypeError("Labels are immutable")

    __setitem__ = _immutable
    __delitem__ = _immutable
    __ior__ = _immutable  # type: ignore[assignment]
    clear = _immutable
    pop = _immutable  # type: ignore[assignment]
    popitem = _immutable  # type: ignore[assignment]
    setdefault = _immutable  # type: ignore[assignment]
    update = _immutable

    def __reduce__(self) -> tuple[type[Labels], tuple[dict[str, str]]]:
        return (Labels, (dict(self),))

    def __repr__(self) -> str:
        return f"Labels({dict(self)!r})"

    def merged(self, other: Mapping[str, str]) -> Labels:
        """A new map with ``other`` laid over this one (``other`` wins)."""
        return Labels({**self, **other})

    def as_dict(self) -> dict[str, str]:
        return dict(self)


EMPTY_LABELS = Labels()
