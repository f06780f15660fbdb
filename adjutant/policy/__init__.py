"""Task-image policy: which image a buildroot runs, chosen on the hub through tag extra."""

from adjutant.policy.resolver import ImageChoice, ImageResolver, PolicyCounters
from adjutant.policy.rules import POLICY_KEY, ImagePolicy, ImageRule, parse_policy

__all__ = [
    "POLICY_KEY",
    "ImageChoice",
    "ImagePolicy",
    "ImageResolver",
    "ImageRule",
    "PolicyCounters",
    "parse_policy",
]
