"""The dashboard for real: `adjutant worker` on devhub starts `adjutant web` (gunicorn), builds
in a real container, and the dashboard follows it — SSE log lines while the build runs, the
end of the stream when the task closes, and a headless chromium seeing the same live.

One devhub + worker + dashboard serve the module; each test submits one slow build.
"""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import koji
import pytest
import requests

from tests.support.devhub_process import free_port
from tests.support.devhub_worker import DevhubSite, devhub_worker_site

pytestmark = pytest.mark.integration

START_TIMEOUT_S = 60.0
TASK_TIMEOUT_S = 300.0
# The build prints a numbered line per second, so lines arrive while the task runs.
# rpmbuild traces %build (set -x) on stderr, which shares the log with stdout and can land
# inside a line; tracing is off for the loop, so each line arrives whole.
SLOW_BUILD = "set +x; for i in $(seq 1 8); do echo dashboard-line-$i; sleep 1; done"
BUILD_LINE = re.compile(r"^data: (dashboard-line-\d)$")


@pytest.fixture(scope="module")
def dash(tmp_path_factory: pytest.TempPathFactory, podman_url: str, task_image: str,
         worker_label: str) -> Iterator[tuple[DevhubSite, str]]:  # fmt: skip
    port = free_port()
    extra = {"dashboard_enabled": "true", "dashboard_port": str(port)}
    base = tmp_path_factory.mktemp("dashboard-devhub")
    with devhub_worker_site(base, podman_url, task_image, worker_label,
                            adjutant_extra=extra) as site:  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        wait_for(lambda: _get(url + "/readyz") == 200, START_TIMEOUT_S,
                 "the dashboard to answer /readyz with 200")  # fmt: skip
        yield site, url
    # The worker stopped on SIGTERM, and its dashboard with it.
    wait_for(lambda: _get(url + "/livez") is None, 30, "the dashboard to stop with the worker")


def _get(url: str) -> int | None:
    try:
        return requests.get(url, timeout=5).status_code
    except requests.RequestException:
        return None


def wait_for(check: Any, timeout_s: float, what: str) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out after {timeout_s:.0f}s waiting for {what}")


def chromium_paths() -> tuple[str, str]:
    """The headless browser and its driver (Debian: chromium, chromium-driver)."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if browser is None or driver is None:
        pytest.fail("chromium or chromedriver is not on PATH: run scripts/setup-host (as root), "
                    "which installs chromium and chromium-driver", pytrace=False)  # fmt: skip
    return browser, driver


def recorded_log(url: str, task_id: int, name: str) -> bool:
    reply = requests.get(f"{url}/api/v1/tasks/{task_id}", timeout=5)
    return reply.status_code == 200 and name in reply.json()["logs"]


def test_live_log_streams_lines_during_the_build_then_ends_when_the_task_closes(
    dash: tuple[DevhubSite, str],
) -> None:
    site, url = dash
    task_id = site.submit("adjutant-dash-sse", build_script=SLOW_BUILD)
    wait_for(lambda: recorded_log(url, task_id, "build.log"), TASK_TIMEOUT_S,
             f"task {task_id}'s build.log on the dashboard")  # fmt: skip
    lines: list[str] = []
    open_while_streaming = []
    end = ""
    with requests.get(f"{url}/api/v1/tasks/{task_id}/logs/build.log/stream", stream=True,
                      timeout=(5, 60)) as stream:  # fmt: skip
        assert stream.headers["Content-Type"].startswith("text/event-stream")
        event = ""
        for raw in stream.iter_lines(decode_unicode=True):
            if raw.startswith("event: "):
                event = raw.removeprefix("event: ")
            elif raw.startswith("data: ") and event == "end":
                end = raw
                break
            elif raw.startswith("data: ") and (line := BUILD_LINE.search(raw)):
                lines.append(line.group(1))
                state = site.admin.getTaskInfo(task_id)["state"]
                open_while_streaming.append(state == koji.TASK_STATES["OPEN"])
    assert lines == [f"dashboard-line-{i}" for i in range(1, 9)]
    assert open_while_streaming[0], "the first line should arrive while the task runs"
    assert end == 'data: {"state": "CLOSED"}'
    info = site.wait(task_id)
    assert info["state"] == koji.TASK_STATES["CLOSED"]
    result = site.admin.getTaskResult(task_id)
    task = requests.get(f"{url}/api/v1/tasks/{task_id}", timeout=5).json()
    assert task["state"] == "CLOSED" and task["buildroot_id"] == result["brootid"]
    (container,) = task["containers"]
    assert container["removed_at"] is not None and container["name"].startswith("adjutant-")
    assert container["image_digest"] and task["image_digest"] == container["image_digest"]
    steps = [s["name"] for s in task["steps"]]
    assert steps[:2] == ["provide-image", "start-container"]
    assert steps[-3:] == ["upload-outputs", "remove-container", "upload-logs"]
    assert "install-group" in steps and "rpmbuild-bb" in steps and "copy-out" in steps
    metrics = requests.get(f"{url}/metrics", timeout=5).text
    assert 'adjutant_tasks_total{method="buildArch",outcome="closed"}' in metrics


def test_browser_sees_live_log_timeline_and_closed_state_without_reload(
    dash: tuple[DevhubSite, str],
    tmp_path: Path,
) -> None:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By

    site, url = dash
    browser, driver_path = chromium_paths()
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-extensions",
        "--window-size=1200,1400",
        f"--user-data-dir={tmp_path / 'chromium'}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(driver_path))
    try:
        task_id = site.submit("adjutant-dash-browser", build_script=SLOW_BUILD)
        driver.get(f"{url}/tasks/{task_id}")
        marker = driver.execute_script("return window.performance.timeOrigin")
        log = driver.find_element(By.ID, "log")
        wait_for(lambda: "dashboard-line-" in log.text, TASK_TIMEOUT_S,
                 "log lines in the live view")  # fmt: skip
        hub_state = site.admin.getTaskInfo(task_id)["state"]
        wait_for(lambda: len(driver.find_elements(By.CSS_SELECTOR, "#timeline svg rect")) >= 3,
                 60, "the step timeline")  # fmt: skip
        state = driver.find_element(By.ID, "task-state")
        wait_for(lambda: state.text == "CLOSED", TASK_TIMEOUT_S, "the task to show CLOSED")
        assert "dashboard-line-8" in log.text
        # The same document all along: no reload happened.
        assert driver.execute_script("return window.performance.timeOrigin") == marker
        assert hub_state == koji.TASK_STATES["OPEN"], "lines should show while the task runs"
        shot = tmp_path / "dashboard-task.png"  # pytest keeps the last runs' tmp dirs
        driver.save_screenshot(str(shot))
        assert shot.stat().st_size > 10_000
        print(f"dashboard screenshot: {shot}")
        # The overview lists the task with its outcome, and fits a phone's width.
        driver.set_window_size(390, 844)
        driver.get(url + "/")
        row_link = f"#recent a[href='/tasks/{task_id}']"
        wait_for(lambda: driver.find_elements(By.CSS_SELECTOR, row_link), 30,
                 "the task on the overview")  # fmt: skip
        assert "CLOSED" in driver.find_element(By.ID, "recent").text
        overflow = driver.execute_script(
            "return document.documentElement.scrollWidth - window.innerWidth"
        )
        assert overflow <= 0, f"the overview is {overflow}px wider than a phone"
        driver.save_screenshot(str(tmp_path / "dashboard-overview-phone.png"))
    finally:
        driver.quit()
