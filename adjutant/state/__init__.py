"""Local state: what this worker did and does, for the dashboard (``store``: the SQLite
database and its queries; ``recorder``: the never-failing writes the worker makes)."""

from adjutant.state.recorder import Recorder, TaskRecorder

__all__ = ["Recorder", "TaskRecorder"]
