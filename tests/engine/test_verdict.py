"""Evidence is typed: steps carry an action member and a policy reference; the words people
read come from ``describe()`` and stay what reports have always shown."""

from __future__ import annotations

import pytest

from posture.engine.verdict import Stage, Step, StepAction
from posture.model.meta import ObjectRef

GNP = ObjectRef("GlobalNetworkPolicy", "", "default.deny-all")


@pytest.mark.parametrize(
    ("step", "text"),
    [
        (
            Step(Stage.EGRESS, "pod a/x", StepAction.DENY, "default", GNP, 0),
            "[egress] pod a/x: tier default GlobalNetworkPolicy default.deny-all rule 0 → Deny",
        ),
        (
            Step(Stage.INGRESS, "pod a/x", StepAction.PROFILE_ALLOW, profile="kns.a", rule=0),
            "[ingress] pod a/x: Profile kns.a rule 0 → Allow (profile)",
        ),
        (
            Step(Stage.INGRESS, "pod a/x", StepAction.END_OF_TIER, "security", note="no rule"),
            "[ingress] pod a/x: tier security → Deny (end of tier) (no rule)",
        ),
        (
            Step(Stage.UNPOLICED, "node n1", StepAction.ALLOW, note="leaves the cluster"),
            "[unpoliced] node n1: → Allow (leaves the cluster)",
        ),
    ],
)
def test_describe_keeps_the_words_reports_show(step: Step, text: str) -> None:
    assert step.describe() == text


def test_policy_name_is_the_reference_or_the_profile() -> None:
    assert Step(Stage.EGRESS, "s", StepAction.ALLOW, policy=GNP).policy_name == str(GNP)
    profile = Step(Stage.EGRESS, "s", StepAction.PROFILE_DENY, profile="ksa.a.default")
    assert profile.policy_name == "Profile ksa.a.default"
    assert profile.policy is None
    assert Step(Stage.FAILSAFE, "s", StepAction.ALLOW).policy_name == ""


def test_denies_is_a_property_of_the_action_not_of_its_words() -> None:
    denying = {a for a in StepAction if a.denies}
    assert denying == {
        StepAction.DENY,
        StepAction.END_OF_TIER,
        StepAction.PROFILE_DENY,
        StepAction.NO_PROFILE,
        StepAction.ENDPOINT_TO_HOST_DROP,
    }
    assert not StepAction.PASS.denies
    assert not StepAction.TIER_PASS.denies
