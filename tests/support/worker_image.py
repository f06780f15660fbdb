"""The worker appliance image, built once per test process by scripts/build-worker-image.

Both tests/integration and tests/appliance use it; the build (about a minute from scratch,
seconds when podman's layer cache holds it) happens on the first request only.
"""

from __future__ import annotations

import functools
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# A name of the tests' own: scripts/build-worker-image tags it :<version> and :latest.
WORKER_IMAGE_NAME = "localhost/adjutant/worker-test"
BUILD_TIMEOUT_S = 1200


@functools.cache
def worker_image() -> str:
    """Build the image (first call only) and return its :latest tag."""
    done = subprocess.run(
        ["bash", str(REPO / "scripts" / "build-worker-image"), WORKER_IMAGE_NAME],
        cwd=REPO, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"scripts/build-worker-image failed:\n{done.stdout}{done.stderr}")
    return f"{WORKER_IMAGE_NAME}:latest"
