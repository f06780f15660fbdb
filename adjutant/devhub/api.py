"""Imports every module that registers hub methods, so the registry is complete."""

from adjutant.devhub import (  # noqa: F401
    buildroots,
    builds,
    fault_api,
    groups,
    host_tasks,
    hosts,
    hub_policy,
    misc,
    notifications,
    package_lists,
    repos,
    rpm_import,
    sessions,
    submit,
    tags,
    targets,
    tasks,
    uploads,
)
