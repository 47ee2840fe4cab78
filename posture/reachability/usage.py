"""Which rules decide anything, and which are shadowed by earlier rules or policies.

For every workload class and direction, the class's chain is evaluated against every class on
the other side. A rule is *live* when it would match some of that traffic on its own, and
*used* when it decides some of it. A live rule that is never used is shadowed: everything it
would match was already decided earlier; the step that decided it names the shadower.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field

from posture.engine.chain import evaluate
from posture.engine.flows import Flows
from posture.engine.index import Index
from posture.engine.match import rule_flows
from posture.engine.peers import PeerKind
from posture.engine.verdict import Outcome, Step, StepAction
from posture.model.policy import Action, Direction, Policy
from posture.reachability.bits import ClassBits
from posture.reachability.chains import excluded_group, local_signature, peer_representatives
from posture.reachability.classes import EndpointClass

RuleKey = tuple[str, Direction, int]  # (policy ref text, direction, rule index)


@dataclass(slots=True)
class RuleUsage:
    policies: dict[str, Policy] = field(default_factory=dict)
    live: set[RuleKey] = field(default_factory=set)
    used: set[RuleKey] = field(default_factory=set)
    # For live-but-unused rules: the steps that decided the traffic instead.
    shadowers: dict[RuleKey, list[Step]] = field(default_factory=dict)

    def shadowed(self) -> list[RuleKey]:
        return sorted(self.live - self.used, key=lambda k: (k[0], k[1].value, k[2]))


def _decider(steps: tuple[Step, ...], tier: str) -> Step | None:
    """The step that took the traffic out of ``tier``'s hands (or, failing that, decided it)."""
    for s in steps:
        if s.tier == tier:
            return s
    for s in reversed(steps):
        if s.policy_name or s.action is StepAction.END_OF_TIER:
            return s
    return None


def rule_usage(idx: Index, classes: list[EndpointClass]) -> RuleUsage:
    """Which rules match some traffic (live) and which decide some (used), per policy rule."""
    usage = RuleUsage()
    bits = ClassBits(idx, classes)
    full = idx.universe.full()
    seen: set[Hashable] = set()
    position = {id(c): i for i, c in enumerate(classes)}
    for cls in classes:
        if cls.kind is not PeerKind.POD:
            continue
        me = cls.rep
        assert me.pod is not None
        for direction in Direction:
            chain = idx.workload_chain(me.pod, direction)
            if not chain.groups:
                continue
            peer_groups = bits.partition(chain, direction is Direction.EGRESS)
            alone = excluded_group(peer_groups, cls, position[id(cls)])
            signature = (local_signature(chain, me, idx.ctx), alone)
            if signature in seen:
                continue  # the same verdicts from the same peers: nothing new to learn
            seen.add(signature)
            for other in peer_representatives(bits, chain, cls, peer_groups):
                src, dst = (me, other.rep) if direction is Direction.EGRESS else (other.rep, me)
                parts = evaluate(chain, src, dst, full, idx.ctx)
                for _, outcome in parts:
                    for s in outcome.steps:
                        if s.policy is not None and s.rule is not None and s.stage == chain.stage:
                            usage.used.add((str(s.policy), direction, s.rule))
                for group in chain.groups:
                    for pol in group.policies:
                        name = str(pol.ref)
                        usage.policies[name] = pol
                        for rule in pol.rules(direction):
                            if rule.action is Action.LOG:
                                continue
                            matched, _ = rule_flows(rule, src, dst, idx.ctx)
                            if not matched:
                                continue
                            key = (name, direction, rule.index)
                            usage.live.add(key)
                            _record_shadower(usage, key, matched, parts)
    return usage


def _record_shadower(
    usage: RuleUsage, key: RuleKey, matched: Flows, parts: list[tuple[Flows, Outcome]]
) -> None:
    if key in usage.shadowers and len(usage.shadowers[key]) >= 3:
        return
    tier = usage.policies[key[0]].tier
    for flows, outcome in parts:
        if flows & matched:
            d = _decider(outcome.steps, tier)
            if d is None or (d.policy_name == key[0] and d.rule == key[2]):
                continue
            lst = usage.shadowers.setdefault(key, [])
            if all((x.policy, x.rule, x.action) != (d.policy, d.rule, d.action) for x in lst):
                lst.append(d)
            return
