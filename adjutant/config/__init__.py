"""adjutant's configuration: kojid.conf's ``[kojid]`` and ``[adjutant]``, plus overrides.

``load()`` reads the files, the ``KOJI_ADJUTANT_*`` environment and command-line values,
validates them and returns a frozen ``Settings``; everything downstream receives what it
needs from that object as arguments. The schema lives in ``schema``, value types in
``kinds``, reading and checking in ``layers``, the Markdown reference in ``doc``.
"""

from adjutant.config.command_line import load_from_args
from adjutant.config.kinds import PathMapping, RepoAccess
from adjutant.config.layers import DEFAULT_PATHS, InvalidConfig, load
from adjutant.config.schema import (
    ADJUTANT,
    CONFIG_ENV,
    ENV_PREFIX,
    KOJID,
    AdjutantSettings,
    KojidSettings,
    env_var,
)
from adjutant.config.settings import Layer, Settings, ShownValue, Source

__all__ = [
    "ADJUTANT",
    "CONFIG_ENV",
    "DEFAULT_PATHS",
    "ENV_PREFIX",
    "KOJID",
    "AdjutantSettings",
    "InvalidConfig",
    "KojidSettings",
    "Layer",
    "PathMapping",
    "RepoAccess",
    "Settings",
    "ShownValue",
    "Source",
    "env_var",
    "load",
    "load_from_args",
]
