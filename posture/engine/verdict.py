"""Verdicts that explain themselves: the steps (stage, tier, policy, rule, action) behind them."""

from __future__ import annotations

import enum
from dataclasses import dataclass


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
    UNPOLICED = "unpoliced"  # nothing in Calico filters this hop
    HOST_TO_LOCAL_POD = "host-to-local-pod"  # always allowed (§5.7)


@dataclass(frozen=True, slots=True)
class Step:
    """One decision point. ``policy`` is 'Kind ns/name'; ``rule`` is the 0-based index of the rule
    in the direction's list as written (for Kubernetes policies, the Kubernetes rule)."""

    stage: Stage
    subject: str  # the endpoint whose policy this is, e.g. 'pod ns/web-1', 'node n1 (hep eth0)'
    action: str  # Allow / Deny / Pass / end-of-tier Deny / profile Allow / ...
    tier: str = ""
    policy: str = ""
    rule: int | None = None
    note: str = ""

    def describe(self) -> str:
        parts = [f"[{self.stage.value}] {self.subject}:"]
        if self.tier:
            parts.append(f"tier {self.tier}")
        if self.policy:
            parts.append(self.policy)
        if self.rule is not None:
            parts.append(f"rule {self.rule}")
        parts.append(f"→ {self.action}")
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
