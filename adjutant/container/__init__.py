"""Container backends: the interface buildroots use and its podman implementation."""
