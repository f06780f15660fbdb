"""The dashboard: ``create_app(settings)`` is the Flask factory (and gunicorn's target through
``adjutant web``). It reads only the state store and the redacted settings; it never writes."""

from adjutant.web.app import create_app

__all__ = ["create_app"]
