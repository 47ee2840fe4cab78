"""Which rules decide anything, and which are shadowed by earlier rules or policies.

For every workload class and direction, the class's chain is evaluated against every class on
the other side. A rule is *live* when it would match some of that traffic on its own, and
*used* when it decides some of it. A live rule that is never used is shadowed: everything it
would match was already decided earlier; the step that decided it names the shadower.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator
from dataclasses import dataclass, field

from posture.engine.chain import Chain, evaluate
from posture.engine.flows import Flows
from posture.engine.match import MatchContext, rule_flows, side_matches
from posture.engine.peers import Peer, PeerKind
from posture.engine.verdict import Outcome, Step
from posture.findings.base import Analysis
from posture.model.policy import Action, Direction, Policy, PolicyKind
from posture.reachability.bits import ClassBits, iter_bits
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


def early_denies(a: Analysis, usage: RuleUsage, key: RuleKey) -> list[str]:
    """Policies of the same tier and lower order whose Deny decides first what a Kubernetes
    NetworkPolicy rule would allow (the order-500 default-deny pitfall, §8.3)."""
    pol = usage.policies[key[0]]
    if pol.kind is not PolicyKind.KUBERNETES:
        return []
    out = []
    for step in usage.shadowers.get(key, []):
        shadower = a.index.policy_by_name.get(step.policy)
        if shadower is None or shadower.tier != pol.tier or "Deny" not in step.action:
            continue
        if (shadower.order if shadower.order is not None else float("inf")) < (
            pol.order if pol.order is not None else float("inf")
        ) and step.policy not in out:
            out.append(step.policy)
    return out


def _decider(steps: tuple[Step, ...], tier: str) -> Step | None:
    """The step that took the traffic out of ``tier``'s hands (or, failing that, decided it)."""
    for s in steps:
        if s.tier == tier:
            return s
    for s in reversed(steps):
        if s.policy or s.action.startswith("Deny (end"):
            return s
    return None


def peer_representatives(
    bits: ClassBits, chain: Chain, me: EndpointClass, parts: list[int] | None = None
) -> Iterator[EndpointClass]:
    """One class per group of classes that no rule of ``chain`` tells apart as the peer: the
    chain decides the same for all of them (posture.reachability.bits). An endpoint is not its
    own peer, so a class of one is skipped as the representative of its group."""
    toward_dst = chain.direction is Direction.EGRESS
    for part in parts if parts is not None else bits.partition(chain, toward_dst):
        for i in iter_bits(part):
            other = bits.classes[i]
            if other is me and me.size == 1:
                continue
            yield other
            break


def excluded_group(parts: list[int], me: EndpointClass, position: int) -> int:
    """The peer group left out for ``me`` (itself alone, when it is a class of one)."""
    if me.size != 1:
        return 0
    mine = 1 << position
    return mine if mine in parts else 0


def local_signature(chain: Chain, me: Peer, ctx: MatchContext) -> Hashable:
    """Everything about the local endpoint that ``chain``'s verdicts can depend on: which
    rules' own side (source of an egress rule, destination of an ingress rule) it matches, and
    its named ports and family. Classes with the same chain and signature get the same
    verdicts from every peer, so chain-level analyses run once per signature."""
    own_is_src = chain.direction is Direction.EGRESS
    rules = [r for g in chain.groups for p in g.policies for r in p.rules(chain.direction)]
    rules.extend(r for prof in chain.profiles for r in prof.rules(chain.direction))
    matches = tuple(side_matches(r.source if own_is_src else r.destination, me, ctx) for r in rules)
    pod_ports = me.pod.ports if me.pod is not None else ()
    return (
        chain.direction,
        tuple(id(p) for g in chain.groups for p in g.policies),
        tuple(prof.name for prof in chain.profiles),
        matches,
        me.named_ports,
        pod_ports,
        me.family,
    )


def rule_usage(a: Analysis) -> RuleUsage:
    idx = a.index
    usage = RuleUsage()
    classes = a.matrix.classes
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
                        if s.policy and s.rule is not None and s.stage == chain.stage:
                            usage.used.add((s.policy, direction, s.rule))
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
            if d is None or (d.policy == key[0] and d.rule == key[2]):
                continue
            lst = usage.shadowers.setdefault(key, [])
            if all((x.policy, x.rule, x.action) != (d.policy, d.rule, d.action) for x in lst):
                lst.append(d)
            return
