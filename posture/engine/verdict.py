"""Verdicts that explain themselves: the steps (stage, tier, policy, rule, action) behind them."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from posture.model.meta import ObjectRef


class Decision(enum.Enum):
    ALLOW = "allow"
    DENY = "deny"
    NONE = "none"  # the stage did not decide (e.g. no forward policy applies)


class Stage(enum.Enum):
    """Where on the path a step was taken (calico-semantics §9)."""

    EGRESS = "egress"  # the source workload's egress policy
    INGRESS = "ingress"  # the destination workload's ingress policy
    ENDPOINT_TO_HOST = "endpoint-to-host"  # DefaultEndpointToHostAction (§5.6)
    HOST_PRE_DNAT = "host-pre-dnat"
    HOST_UNTRACKED = "host-untracked"
    HOST_INGRESS = "host-ingress"  # normal host-endpoint ingress (§5.4)
    HOST_EGRESS = "host-egress"
    HOST_FORWARD_INGRESS = "host-forward-ingress"  # applyOnForward ingress
    HOST_FORWARD_EGRESS = "host-forward-egress"
    FAILSAFE = "failsafe"
    ASSUMPTION = "assumption"  # what the verdict takes for granted (not a decision)
    INFRASTRUCTURE = "infrastructure"  # IPIP/VXLAN/WireGuard Felix always accepts (§5.11)
    UNPOLICED = "unpoliced"  # nothing in Calico filters this hop
    HOST_TO_LOCAL_POD = "host-to-local-pod"  # always allowed (§5.7)
    SERVICE_NAT = "service-nat"  # kube-proxy's DNAT to a Service endpoint (§4.8, §5.10)


class StepAction(enum.Enum):
    """What a step did. The values are the words explanations show (``describe``), so the
    text of reports stays what it was; code compares members, never the words."""

    ALLOW = "Allow"  # a policy rule, or a hop nothing filters
    DENY = "Deny"
    PASS = "Pass"  # to the next tier
    TIER_PASS = "Pass (tier defaultAction)"
    END_OF_TIER = "Deny (end of tier)"
    PROFILE_ALLOW = "Allow (profile)"
    PROFILE_DENY = "Deny (profile)"
    NO_PROFILE = "Deny (no profile allowed)"
    ENDPOINT_TO_HOST_DROP = "Deny (DefaultEndpointToHostAction DROP)"
    ENDPOINT_TO_HOST_ACCEPT = "Allow (DefaultEndpointToHostAction ACCEPT)"
    ENDPOINT_TO_HOST_RETURN = "Allow (DefaultEndpointToHostAction RETURN)"
    ASSUMED = "Assumed"  # an ASSUMPTION step: the verdict depends on it
    DNAT = "DNAT"  # kube-proxy translated the destination to a Service endpoint

    @property
    def denies(self) -> bool:
        return self in _DENIES


_DENIES = frozenset(
    {
        StepAction.DENY,
        StepAction.END_OF_TIER,
        StepAction.PROFILE_DENY,
        StepAction.NO_PROFILE,
        StepAction.ENDPOINT_TO_HOST_DROP,
    }
)


@dataclass(frozen=True, slots=True)
class Step:
    """One decision point. ``policy`` is the deciding policy's reference, or ``profile`` the
    deciding profile's name (at most one of them); ``rule`` is the 0-based index of the rule in
    the direction's list as written (for Kubernetes policies, the Kubernetes rule)."""

    stage: Stage
    subject: str  # the endpoint whose policy this is, e.g. 'pod ns/web-1', 'node n1 (hep eth0)'
    action: StepAction
    tier: str = ""
    policy: ObjectRef | None = None
    rule: int | None = None
    note: str = ""
    profile: str = ""

    @property
    def policy_name(self) -> str:
        """'Kind ns/name', 'Profile NAME' or '' (tier defaults, unpoliced hops)."""
        if self.policy is not None:
            return str(self.policy)
        return f"Profile {self.profile}" if self.profile else ""

    def describe(self) -> str:
        parts = [f"[{self.stage.value}] {self.subject}:"]
        if self.tier:
            parts.append(f"tier {self.tier}")
        if self.policy_name:
            parts.append(self.policy_name)
        if self.rule is not None:
            parts.append(f"rule {self.rule}")
        parts.append(f"→ {self.action.value}")
        text = " ".join(parts)
        return f"{text} ({self.note})" if self.note else text


@dataclass(frozen=True, slots=True)
class Outcome:
    decision: Decision
    steps: tuple[Step, ...]

    @property
    def allowed(self) -> bool:
        return self.decision is Decision.ALLOW


class Encryption(enum.Enum):
    ENCRYPTED = "encrypted"
    UNENCRYPTED = "unencrypted"
    LOCAL = "local"  # never leaves the node
    UNKNOWN = "unknown"
