"""Whether a tag's build steps get network: config `network_enabled`, overridden per tag.

mock builds without network; so do we unless the operator turns it on, for every tag
(`network_enabled`) or for one tag and its children (tag extra `adjutant.network`, read from
getBuildConfig so inheritance applies). Dependency installs from the koji repo and SCM
checkouts get the network they need regardless.
"""

from __future__ import annotations

from collections.abc import Mapping

from adjutant.errors import BuildrootError

EXTRA_KEY = "adjutant.network"
_WORDS = {
    "on": True,
    "true": True,
    "yes": True,
    "1": True,
    "off": False,
    "false": False,
    "no": False,
    "0": False,
}


def build_network(extra: Mapping[str, object], default: bool, tag: str) -> bool:
    """The effective setting for build steps in a buildroot of `tag`.

    Raises:
        BuildrootError: the tag's `adjutant.network` is not a boolean (or on/off word).
    """
    if EXTRA_KEY not in extra:
        return default
    value = extra[EXTRA_KEY]
    if isinstance(value, bool):
        return value
    if isinstance(value, str | int) and str(value).strip().lower() in _WORDS:
        return _WORDS[str(value).strip().lower()]
    raise BuildrootError(
        f"tag {tag}: extra {EXTRA_KEY} must be true or false (or on/off), not {value!r}"
    )
