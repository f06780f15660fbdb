"""The HTML pages: overview, one task (step timeline and live log), containers.

The pages are shells; static/dashboard.js fills and refreshes them from the JSON API, so they
update without reloading. Everything they load is shipped in the package (no CDN).
"""

from __future__ import annotations

from flask import Blueprint, render_template

from adjutant.web.app import settings

blueprint = Blueprint("pages", __name__, template_folder="templates", static_folder="static",
                      static_url_path="/static")  # fmt: skip


@blueprint.get("/")
def overview() -> str:
    return render_template("overview.html", worker=settings().adjutant.worker_name)


@blueprint.get("/tasks/<int:task_id>")
def task(task_id: int) -> str:
    return render_template("task.html", worker=settings().adjutant.worker_name, task_id=task_id)


@blueprint.get("/containers")
def containers() -> str:
    return render_template("containers.html", worker=settings().adjutant.worker_name)
