"""Names the integration tests share."""

# The offline Debian task image from images/ that integration tests build and run.
TASK_IMAGE_NAME = "debian-bookworm"
