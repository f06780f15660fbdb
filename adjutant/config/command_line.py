"""The settings a subcommand runs with: its ``-c`` paths, then its ``--option`` overrides.

Subcommands name an override's argparse destination ``opt_<section>.<key>`` (``--port`` of
``adjutant web`` is ``opt_adjutant.dashboard_port``), so one reader serves them all.
"""

from __future__ import annotations

import argparse
import logging

from adjutant.config.layers import load
from adjutant.config.settings import Settings

log = logging.getLogger(__name__)

OVERRIDE_PREFIX = "opt_"


def load_from_args(args: argparse.Namespace) -> Settings:
    """Load the configuration as the command line says, logging its warnings.

    Raises:
        ConfigError: the configuration is invalid (every problem, named).
    """
    overrides = {
        name.removeprefix(OVERRIDE_PREFIX): str(value)
        for name, value in vars(args).items()
        if name.startswith(OVERRIDE_PREFIX) and value is not None
    }
    settings = load(args.config or None, overrides=overrides)
    for warning in settings.warnings:
        log.warning("config: %s", warning)
    return settings
