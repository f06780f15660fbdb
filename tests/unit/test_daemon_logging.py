"""kojid's logging options as the worker applies them: log_level and admin_emails."""

from __future__ import annotations

import logging
import logging.handlers
from collections.abc import Iterator

import pytest

from adjutant.config import KojidSettings
from adjutant.daemon import configure_koji_logging


@pytest.fixture
def koji_logger() -> Iterator[logging.Logger]:
    logger = logging.getLogger("koji")
    level, handlers = logger.level, list(logger.handlers)
    try:
        yield logger
    finally:
        logger.setLevel(level)
        logger.handlers[:] = handlers


def test_log_level_sets_the_koji_loggers_and_debug_wins(koji_logger: logging.Logger) -> None:
    configure_koji_logging(KojidSettings(log_level="ERROR"))
    assert koji_logger.level == logging.ERROR
    assert not logging.getLogger("koji.build.BaseTaskHandler").isEnabledFor(logging.WARNING)
    configure_koji_logging(KojidSettings(log_level="ERROR"), debug=True)
    assert koji_logger.level == logging.DEBUG


def test_unset_log_level_leaves_adjutants_level(koji_logger: logging.Logger) -> None:
    koji_logger.setLevel(logging.NOTSET)
    configure_koji_logging(KojidSettings())
    assert koji_logger.level == logging.NOTSET
    assert not [h for h in koji_logger.handlers if isinstance(h, logging.handlers.SMTPHandler)]


def test_admin_emails_get_error_records_by_mail(koji_logger: logging.Logger) -> None:
    configure_koji_logging(KojidSettings(admin_emails="ops@example.com,oncall@example.com"))
    [mail] = [h for h in koji_logger.handlers if isinstance(h, logging.handlers.SMTPHandler)]
    assert mail.toaddrs == ["ops@example.com", "oncall@example.com"]
    assert mail.level == logging.ERROR
