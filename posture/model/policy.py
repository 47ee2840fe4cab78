"""One normalised shape for every policy posture evaluates.

Calico GlobalNetworkPolicy / NetworkPolicy (both API groups), their staged variants, converted
Kubernetes NetworkPolicies and profiles all become :class:`Policy` / :class:`Rule` values here.
Selectors are already the *effective* ones (namespaced and prefixed exactly as Calico's
update processors do, calico-semantics §3.4/§3.5), so the engine never needs to know which API
a policy came from.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from posture.model.meta import Labels, ObjectRef
from posture.model.net import IPSet, PortSet
from posture.selectors import Selector


class Action(enum.Enum):
    ALLOW = "Allow"
    DENY = "Deny"
    PASS = "Pass"
    LOG = "Log"


class Direction(enum.Enum):
    INGRESS = "Ingress"
    EGRESS = "Egress"


class PolicyKind(enum.Enum):
    """Where a policy came from; decides naming and explanation, never semantics."""

    GLOBAL = "GlobalNetworkPolicy"
    NAMESPACED = "NetworkPolicy"
    KUBERNETES = "KubernetesNetworkPolicy"
    STAGED_GLOBAL = "StagedGlobalNetworkPolicy"
    STAGED_NAMESPACED = "StagedNetworkPolicy"
    STAGED_KUBERNETES = "StagedKubernetesNetworkPolicy"

    @property
    def staged(self) -> bool:
        return self.name.startswith("STAGED")


@dataclass(frozen=True, slots=True)
class NamedPortRef:
    """A port given by name in a rule; resolved against the endpoints on that side (§4.4)."""

    name: str


@dataclass(frozen=True, slots=True)
class PortMatch:
    """Numeric ports plus named ports, ORed (§4.3). ``None`` fields on EntityMatch mean 'any'."""

    numeric: PortSet = PortSet.EMPTY
    named: frozenset[str] = frozenset()

    @property
    def empty(self) -> bool:
        return not self.numeric and not self.named


@dataclass(frozen=True, slots=True)
class ServiceRef:
    namespace: str
    name: str


@dataclass(frozen=True, slots=True)
class EntityMatch:
    """One side (source or destination) of a rule, after Calico's translation (§3.5, §4.2).

    ``selector`` is the positive effective selector (None = no selector constraint);
    ``not_selector`` is kept raw. Address sets are None when the field is absent.
    """

    selector: Selector | None = None
    not_selector: Selector | None = None
    nets: IPSet | None = None
    not_nets: IPSet | None = None
    ports: PortMatch | None = None
    not_ports: PortMatch | None = None
    services: ServiceRef | None = None

    @property
    def unconstrained(self) -> bool:
        return (
            self.selector is None
            and self.not_selector is None
            and self.nets is None
            and self.not_nets is None
            and self.ports is None
            and self.not_ports is None
            and self.services is None
        )


@dataclass(frozen=True, slots=True)
class IcmpMatch:
    type: int
    code: int | None = None


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule; every specified field is ANDed (§4.3)."""

    action: Action
    index: int = 0
    protocol: int | None = None
    not_protocol: int | None = None
    icmp: IcmpMatch | None = None
    not_icmp: IcmpMatch | None = None
    ip_version: int | None = None
    source: EntityMatch = field(default_factory=EntityMatch)
    destination: EntityMatch = field(default_factory=EntityMatch)
    http: bool = False  # L7 match present: allowed at L4, possibly narrowed by an L7 proxy (§4.7)


@dataclass(frozen=True, slots=True)
class Policy:
    """A policy as Felix sees it: tier, order, effective selector, types and rules."""

    ref: ObjectRef
    kind: PolicyKind
    tier: str
    order: float | None
    sort_key: str  # Felix's tie-break string for equal orders (§2.4)
    selector: Selector  # effective: namespaced / prefixed (§3.4)
    types: frozenset[Direction]
    ingress: tuple[Rule, ...] = ()
    egress: tuple[Rule, ...] = ()
    do_not_track: bool = False
    pre_dnat: bool = False
    apply_on_forward: bool = False
    namespace: str = ""  # '' for global policies
    selector_text: str = ""  # the scope as written ("selector …, namespaceSelector …")

    @property
    def staged(self) -> bool:
        return self.kind.staged

    def rules(self, direction: Direction) -> tuple[Rule, ...]:
        return self.ingress if direction is Direction.INGRESS else self.egress

    @property
    def normal(self) -> bool:
        """Applies to workloads and to normal host-endpoint processing (§2.2 point 4)."""
        return not self.do_not_track and not self.pre_dnat

    def order_key(self) -> tuple[float, str]:
        return (self.order if self.order is not None else float("inf"), self.sort_key)


@dataclass(frozen=True, slots=True)
class Tier:
    name: str
    order: float | None
    default_action: Action  # DENY or PASS
    exists: bool = True  # False: policies name a tier with no Tier object (§2.3 edge case)

    def order_key(self) -> tuple[int, float, str]:
        # Missing tiers sort after all existing ones; absent order after present ones.
        return (
            0 if self.exists else 1,
            self.order if self.order is not None else float("inf"),
            self.name,
        )


@dataclass(frozen=True, slots=True)
class Profile:
    """A Calico profile: rules consulted when no tier decides (§2.6), and labels to apply."""

    name: str
    ingress: tuple[Rule, ...] = ()
    egress: tuple[Rule, ...] = ()
    labels_to_apply: Labels = field(default_factory=Labels)

    def rules(self, direction: Direction) -> tuple[Rule, ...]:
        return self.ingress if direction is Direction.INGRESS else self.egress
