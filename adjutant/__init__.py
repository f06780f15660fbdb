"""adjutant: a Koji build host whose buildroots are podman containers."""

__version__ = "0.1.0"
