"""The exceptions adjutant raises on purpose, and the koji faults they become.

    AdjutantError                                  base of everything we raise on purpose
    ├── ConfigError     (+ koji.ConfigurationError) bad kojid.conf, [adjutant], env, policy
    ├── TaskParamError  (+ koji.ParameterError)     bad task params, URLs, file names, SRPMs
    ├── BuildrootError  (+ koji.BuildrootError)     image missing, container or deps failed
    ├── BuildFailed     (+ koji.BuildError)         rpmbuild exited non-zero
    └── ContainerError                              backend level; the buildroot turns it
        ├── ContainerUnavailable                    into BuildrootError. Unavailable is the
        ├── ContainerNotFound                       only retryable one.
        ├── ImageMissing
        └── ContainerTimeout

Task-facing classes also inherit the matching koji class, because koji's task runner
passes a ``koji.GenericError`` message through as the fault text with its fault code,
while any other exception reaches the user as a raw traceback.
"""

import koji


class AdjutantError(Exception):
    """Base of every error adjutant raises on purpose."""


class ConfigError(AdjutantError, koji.ConfigurationError):
    """Configuration (file, environment, flags, policy JSON) is invalid."""


class TaskParamError(AdjutantError, koji.ParameterError):
    """A task's parameters, URLs, file names or SRPM headers are invalid."""


class BuildrootError(AdjutantError, koji.BuildrootError):
    """The buildroot could not be prepared: image, container or dependency trouble."""


class BuildFailed(AdjutantError, koji.BuildError):
    """The build itself (rpmbuild) failed."""


class ContainerError(AdjutantError):
    """A container backend operation failed; the message keeps podman's own text."""


class ContainerUnavailable(ContainerError):
    """The podman service cannot be reached or answered with a server error."""


class ContainerNotFound(ContainerError):
    """The named container does not exist (any more)."""


class ImageMissing(ContainerError):
    """The image is not present locally and may not (or could not) be fetched or built."""


class ContainerTimeout(ContainerError):
    """A container operation or a command inside a container ran past its deadline."""
