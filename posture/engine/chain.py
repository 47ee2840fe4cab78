"""Evaluating one endpoint's policy for one direction (calico-semantics §2.8).

Tiers in order; inside a tier, applicable policies by (order, name); rules top-down; Allow and
Deny are final, Log continues, Pass leaves the tier. A tier with applicable policies that did
not decide denies at its end unless its defaultAction is Pass. When every applicable tier passed
(or none applied), the endpoint's profiles decide; no profile match is a deny.

Host-endpoint stages use the same walk with other end-of-chain behaviour (:class:`ChainMode`).
Evaluation is over a flow space, so one walk decides every (protocol, port) at once and returns
the space split into parts, each with the steps that decided it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from posture.engine.flows import Flows
from posture.engine.match import MatchContext, rule_flows
from posture.engine.peers import Peer
from posture.engine.verdict import Decision, Outcome, Stage, Step, StepAction
from posture.model.policy import Action, Direction, Policy, Profile, Tier


class ChainMode(enum.Enum):
    NORMAL = "normal"  # end-of-tier deny, then profiles, then deny (workloads, normal HEP policy)
    FORWARD = "forward"  # applyOnForward HEP policy: no applicable policy = no decision
    PRE = "pre"  # pre-DNAT / untracked: never deny at a tier's end


@dataclass(frozen=True, slots=True)
class TierGroup:
    tier: Tier
    policies: tuple[Policy, ...]


@dataclass(frozen=True, slots=True)
class Chain:
    """What applies to one endpoint in one direction at one stage."""

    stage: Stage
    subject: str
    direction: Direction
    groups: tuple[TierGroup, ...]
    profiles: tuple[Profile, ...] = ()
    mode: ChainMode = ChainMode.NORMAL

    @property
    def empty(self) -> bool:
        return not self.groups


def _policy_name(p: Policy) -> str:
    return str(p.ref)


# A policy rule's action → the step it makes (Log rules never make one).
_RULE_ACTIONS = {
    Action.ALLOW: StepAction.ALLOW,
    Action.DENY: StepAction.DENY,
    Action.PASS: StepAction.PASS,
}

Part = tuple[Flows, tuple[Step, ...]]


def evaluate(
    chain: Chain, src: Peer, dst: Peer, space: Flows, ctx: MatchContext
) -> list[tuple[Flows, Outcome]]:
    """Split ``space`` by the outcome of ``chain`` for traffic src → dst."""
    results: list[tuple[Flows, Outcome]] = []
    if not space:
        return results
    pending: list[Part] = [(space, ())]
    if chain.mode is ChainMode.FORWARD and not chain.groups:
        return [(space, Outcome(Decision.NONE, ()))]
    for group in chain.groups:
        pending = _evaluate_tier(chain, group, pending, src, dst, ctx, results)
        if not pending:
            return results
    for flows, steps in pending:
        if chain.mode is ChainMode.NORMAL:
            results.extend(_profiles(chain, flows, steps, src, dst, ctx))
        else:
            results.append((flows, Outcome(Decision.NONE, steps)))
    return results


def _evaluate_tier(
    chain: Chain,
    group: TierGroup,
    pending: list[Part],
    src: Peer,
    dst: Peer,
    ctx: MatchContext,
    results: list[tuple[Flows, Outcome]],
) -> list[Part]:
    passed: list[Part] = []
    parts = list(pending)
    for pol in group.policies:
        for rule in pol.rules(chain.direction):
            if not parts:
                return passed
            matched, note = rule_flows(rule, src, dst, ctx)
            if not matched or rule.action is Action.LOG:
                continue
            step = Step(
                chain.stage,
                chain.subject,
                _RULE_ACTIONS[rule.action],
                group.tier.name,
                pol.ref,
                rule.index,
                _note(rule.http, note),
            )
            next_parts: list[Part] = []
            for flows, steps in parts:
                hit = flows & matched
                if not hit:
                    next_parts.append((flows, steps))
                    continue
                if rule.action is Action.PASS:
                    passed.append((hit, (*steps, step)))
                else:
                    decision = Decision.ALLOW if rule.action is Action.ALLOW else Decision.DENY
                    results.append((hit, Outcome(decision, (*steps, step))))
                rest = flows - hit
                if rest:
                    next_parts.append((rest, steps))
            parts = next_parts
    for flows, steps in parts:
        if group.tier.default_action is Action.PASS:
            step = Step(
                chain.stage,
                chain.subject,
                StepAction.TIER_PASS,
                group.tier.name,
                note="no policy of the tier decided",
            )
            passed.append((flows, (*steps, step)))
        elif chain.mode is ChainMode.PRE:
            passed.append((flows, steps))
        else:
            names = ", ".join(_policy_name(p) for p in group.policies[:3])
            more = f" and {len(group.policies) - 3} more" if len(group.policies) > 3 else ""
            step = Step(
                chain.stage,
                chain.subject,
                StepAction.END_OF_TIER,
                group.tier.name,
                note=f"selected by {names}{more}; no rule matched",
            )
            results.append((flows, Outcome(Decision.DENY, (*steps, step))))
    return passed


def _note(http: bool, note: str) -> str:
    if http:
        extra = "L7 (http) match: allowed at L4, may be narrowed by an application-layer proxy"
        return f"{note}; {extra}" if note else extra
    return note


def _profiles(
    chain: Chain, flows: Flows, steps: tuple[Step, ...], src: Peer, dst: Peer, ctx: MatchContext
) -> list[tuple[Flows, Outcome]]:
    out: list[tuple[Flows, Outcome]] = []
    remaining = flows
    for prof in chain.profiles:
        for rule in prof.rules(chain.direction):
            if not remaining:
                return out
            if rule.action not in (Action.ALLOW, Action.DENY):
                continue
            matched, note = rule_flows(rule, src, dst, ctx)
            hit = remaining & matched
            if not hit:
                continue
            step = Step(
                chain.stage,
                chain.subject,
                StepAction.PROFILE_ALLOW
                if rule.action is Action.ALLOW
                else StepAction.PROFILE_DENY,
                profile=prof.name,
                rule=rule.index,
                note=note,
            )
            decision = Decision.ALLOW if rule.action is Action.ALLOW else Decision.DENY
            out.append((hit, Outcome(decision, (*steps, step))))
            remaining = remaining - hit
    if remaining:
        why = "no profile" if not chain.profiles else "no profile rule matched"
        step = Step(chain.stage, chain.subject, StepAction.NO_PROFILE, note=why)
        out.append((remaining, Outcome(Decision.DENY, (*steps, step))))
    return out
