"""PodmanBackend: the ContainerBackend over podman's REST API; the only module importing podman.

It is longer than our usual module because podman-py's high-level calls hide what we need
(exec exit codes while streaming, archive errors, build output as it happens): those calls go
to the client's low-level ``api`` session, and every one of them sits in ``podman_errors``.

Error mapping (``podman_errors``), most specific first:

    podman ImageNotFound, "image not known"             -> ImageMissing
    HTTP 404 "no such container"                        -> ContainerNotFound
    no response (socket missing, refused, reset), 502-504 -> ContainerUnavailable (retryable)
    read timeout                                         -> ContainerTimeout
    any other podman/HTTP error (podman answers 500 for name conflicts, OCI runtime
    failures and missing images alike, so 500 is not "unavailable")  -> ContainerError

Exec deadlines: ``exec`` runs argv under coreutils ``timeout --kill-after`` (a constant argv
prefix, no shell), so the command and its process group are killed inside the container even
if our process dies; exit 124/137 after the deadline becomes ContainerTimeout. Killing from the
outside would need the host pid of the exec session, which a remote or containerised worker
does not have. The socket read deadline is a backstop for a hung service.
"""

from __future__ import annotations

import contextlib
import copy
import json
import logging
import os
import queue
import shlex
import socket
import tarfile
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import IO, Any, TypeVar

import podman
import podman.errors
import requests
import urllib3.exceptions
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_fixed,
)

from adjutant.container.backend import (
    ContainerInfo,
    ContainerSpec,
    ExecResult,
    ImageInfo,
    NetworkMode,
    OutputSink,
    PullPolicy,
    emit,
)
from adjutant.errors import (
    ContainerError,
    ContainerNotFound,
    ContainerTimeout,
    ContainerUnavailable,
    ImageMissing,
)

log = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_URL = "unix:///run/podman/podman.sock"
DEFAULT_NETWORK = "podman"  # podman's own bridge
CPU_PERIOD_US = 100_000
# Seconds between timeout's SIGTERM and its SIGKILL for a command past its deadline.
EXEC_KILL_AFTER_S = 10
# timeout(1) exits 124 when it sent SIGTERM, 128+9 when it had to SIGKILL.
EXEC_TIMEOUT_EXIT_CODES = frozenset({124, 137})
# Extra seconds the exec stream may stay silent past deadline + kill-after before we give up.
STREAM_GRACE_S = 30.0
# How long a finished exec session may take to report its exit code.
EXEC_EXIT_WAIT_S = 30.0
_NO_SUCH_CONTAINER = "no such container"
_IMAGE_UNKNOWN = ("image not known", "no such image")


def create_kwargs(spec: ContainerSpec, network: str = DEFAULT_NETWORK) -> dict[str, Any]:
    """Translate ``spec`` into keyword arguments for podman-py's ``containers.create``.

    The one place our spec meets podman's vocabulary; every field is explicit. A bridged
    container joins ``network`` (the backend's bridge: podman's own, or a named one such as a
    compose project's network).
    """
    mounts: list[dict[str, Any]] = []
    for mount in spec.mounts:
        bind: dict[str, Any] = {
            "type": "bind",
            "source": str(mount.source),
            "target": mount.target,
            "read_only": mount.read_only,
        }
        if mount.selinux_relabel:
            bind["relabel"] = mount.selinux_relabel
        mounts.append(bind)
    for tmpfs in spec.tmpfs:
        # podman-py rejects its own "tmpfs" keyword; a tmpfs mount needs source "tmpfs".
        entry: dict[str, Any] = {
            "type": "tmpfs",
            "source": "tmpfs",
            "target": tmpfs.target,
            "mode": f"{tmpfs.mode:o}",
        }
        if tmpfs.size_bytes is not None:
            entry["size"] = str(tmpfs.size_bytes)
        mounts.append(entry)
    kwargs: dict[str, Any] = {
        "image": spec.image,
        "command": list(spec.argv),
        # The argv is the whole command: an image ENTRYPOINT must not wrap it.
        "entrypoint": [],
        "name": spec.container_name,
        "labels": spec.labels,
        "environment": dict(spec.env),
        "mounts": mounts,
        "network_mode": spec.network.value,
        # podman-py sends a name it recognises as a volume's as a named volume, not a bind.
        "volumes": {
            volume.name: {"bind": volume.target, "mode": "ro" if volume.read_only else "rw"}
            for volume in spec.volumes
        },
        "ulimits": [{"Name": u.name, "Soft": u.soft, "Hard": u.hard} for u in spec.ulimits],
        "cap_drop": list(spec.cap_drop),
        "cap_add": list(spec.cap_add),
        "privileged": False,
        "read_only": spec.read_only_root,
        "no_new_privileges": spec.no_new_privileges,
        "stop_timeout": spec.stop_timeout_s,
        "init": spec.init,
    }
    if spec.timezone is not None:
        kwargs["timezone"] = spec.timezone
    if spec.image_hosts:
        kwargs["use_image_hosts"] = True
    if spec.image_resolv_conf:
        kwargs["use_image_resolve_conf"] = True
    if spec.private_users:
        # The API (podman 4.3) ignores nsmode "auto" alone and runs in the host's namespace;
        # the CLI's --userns=auto also sets AutoUserNs in the id mappings, so do we.
        kwargs["userns_mode"] = "auto"
        kwargs["idmappings"] = {"AutoUserNs": True}
        # podman 4.3 in a user namespace often fails to remove a container ("unlinkat
        # .../userdata/shm: device or resource busy": 7 of 50 removals here, none without
        # userns). No shared IPC namespace mount, and a tmpfs of the container's own at
        # /dev/shm (as mock mounts one), avoids it: 0 of 50.
        kwargs["ipc_mode"] = "none"
        if not any(t.target == "/dev/shm" for t in spec.tmpfs):
            mounts.append({"type": "tmpfs", "source": "tmpfs", "target": "/dev/shm",
                           "mode": "1777"})  # fmt: skip
    if spec.network is NetworkMode.BRIDGE:
        kwargs["networks"] = {network: {}}
    if spec.user is not None:
        kwargs["user"] = spec.user
    if spec.workdir is not None:
        kwargs["working_dir"] = spec.workdir
    if spec.limits.memory_bytes is not None:
        kwargs["mem_limit"] = spec.limits.memory_bytes
        # Same value as the memory limit: no swap on top of it.
        kwargs["memswap_limit"] = spec.limits.memory_bytes
    if spec.limits.cpus is not None:
        # podman-py drops nano_cpus; a CFS quota per period is the same limit.
        kwargs["cpu_period"] = CPU_PERIOD_US
        kwargs["cpu_quota"] = round(spec.limits.cpus * CPU_PERIOD_US)
    if spec.limits.pids is not None:
        kwargs["pids_limit"] = spec.limits.pids
    return kwargs


def exec_argv(argv: Sequence[str], timeout_s: float | None) -> tuple[str, ...]:
    """The argv podman runs for ``argv``: under coreutils ``timeout`` when there is a deadline."""
    if timeout_s is None:
        return tuple(argv)
    # timeout(1) stops parsing options at DURATION ("+" getopt), so argv is never read as options.
    return ("timeout", f"--kill-after={EXEC_KILL_AFTER_S}s", f"{timeout_s:.3f}s", *argv)


@contextlib.contextmanager
def podman_errors(action: str) -> Iterator[None]:
    """Turn podman-py, requests, urllib3 and socket errors into ContainerError subclasses.

    ``action`` starts the message ("remove container 1a2b3c"); podman's own text follows.
    """
    try:
        yield
    except ContainerError:
        raise
    except podman.errors.ImageNotFound as exc:
        raise ImageMissing(f"{action}: {_podman_text(exc)}") from exc
    except podman.errors.APIError as exc:
        raise _api_error(action, exc) from exc
    except (
        requests.exceptions.RequestException,
        urllib3.exceptions.HTTPError,
        ConnectionError,
        TimeoutError,
    ) as exc:
        raise _transport_error(action, exc) from exc
    except (podman.errors.PodmanError, tarfile.TarError) as exc:
        raise ContainerError(f"{action}: {exc}") from exc


def _podman_text(exc: podman.errors.APIError) -> str:
    """podman's own message: its explanation when it sent one, else the cause."""
    return str(exc.explanation or (exc.args[0] if exc.args else exc))


def _transport_error(action: str, reason: BaseException) -> ContainerError:
    """A failure below HTTP: a read that timed out, or a service that cannot be reached."""
    # requests re-raises a streamed read's urllib3 ReadTimeoutError as its ConnectionError.
    inner = reason.args[0] if reason.args else None
    if isinstance(
        reason,
        requests.exceptions.ReadTimeout | urllib3.exceptions.ReadTimeoutError | TimeoutError,
    ) or isinstance(inner, urllib3.exceptions.ReadTimeoutError):
        return ContainerTimeout(f"{action}: the podman service did not answer in time")
    return ContainerUnavailable(f"{action}: cannot reach the podman service: {reason}")


def _api_error(action: str, exc: podman.errors.APIError) -> ContainerError:
    status = exc.status_code
    cause = str(exc.args[0]) if exc.args else ""
    text = _podman_text(exc)
    if status is None:
        # podman-py wraps transport failures (OSError, requests errors) in a response-less
        # APIError; the real reason is the chained cause.
        return _transport_error(action, exc.__cause__ or exc)
    if any(marker in cause or marker in text for marker in _IMAGE_UNKNOWN):
        return ImageMissing(f"{action}: {text}")
    if status == 404 and _NO_SUCH_CONTAINER in (cause + text):
        return ContainerNotFound(f"{action}: {text}")
    if status in (502, 503, 504):
        return ContainerUnavailable(f"{action}: podman answered {status}: {text}")
    return ContainerError(f"{action}: {text}")


def _read_exact(raw: Any, size: int) -> bytes:
    """Read ``size`` bytes from a urllib3 response, fewer only at end of stream."""
    data = b""
    while len(data) < size:
        piece = raw.read(size - len(data))
        if not piece:
            break
        data += piece
    return data


def _frames(response: Any) -> Iterator[bytes]:
    """Payloads of podman's multiplexed stdout/stderr stream (8-byte header per frame)."""
    while True:
        header = _read_exact(response.raw, 8)
        if len(header) < 8:
            return
        size = int.from_bytes(header[4:8], "big")
        if size:
            payload = _read_exact(response.raw, size)
            if payload:
                yield payload


def _json_reports(response: Any, deadline: float, action: str) -> Iterator[dict[str, Any]]:
    """The JSON progress reports of a pull or build, one per line, until ``deadline``.

    Raises:
        ContainerTimeout: the operation was still reporting at ``deadline``.
    """
    for line in response.iter_lines():
        if time.monotonic() > deadline:
            raise ContainerTimeout(f"{action}: not done by its deadline")
        if line:
            report: dict[str, Any] = json.loads(line)
            yield report


_END_OF_STREAM = object()


def abort_stream(response: Any) -> None:
    """Close a streaming response even while another thread is blocked reading it.

    Closing alone waits for the reader's buffer lock, i.e. for the stream's next data,
    which may never come; shutting the socket down first wakes the reader with end-of-file.
    """
    fp = getattr(getattr(response.raw, "_fp", None), "fp", None)
    sock = getattr(getattr(fp, "raw", None), "_sock", None)
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
    response.close()


def frames_until(response: Any, deadline: float | None, action: str) -> Iterator[bytes]:
    """Frames of ``response``; once ``deadline`` passes, the stream is closed and we raise.

    A reader thread does the blocking reads, because a socket read timeout alone does not
    bound a stream: podman 4.3 has been seen to leave a follow-logs stream open, unanswered,
    long past its read timeout.

    Raises:
        ContainerTimeout: the stream had not ended by ``deadline``.
    """
    if deadline is None:
        yield from _frames(response)
        return
    items: queue.SimpleQueue[object] = queue.SimpleQueue()

    def pump() -> None:
        try:
            for frame in _frames(response):
                items.put(frame)
        except Exception as exc:  # handed to the consumer, which raises it in its own context
            items.put(exc)
        items.put(_END_OF_STREAM)

    threading.Thread(target=pump, name=f"podman-stream {action}", daemon=True).start()
    try:
        while True:
            try:
                item = items.get(timeout=max(deadline - time.monotonic(), 0.0))
            except queue.Empty:
                raise ContainerTimeout(
                    f"{action}: the stream had not ended by its deadline"
                ) from None
            if item is _END_OF_STREAM:
                return
            if isinstance(item, Exception):
                raise item
            assert isinstance(item, bytes)
            yield item
    except BaseException:
        # Deadline, or the task being stopped (a signal raises here): unblock the reader
        # thread, so closing the response cannot hang behind it.
        abort_stream(response)
        raise


def extract_archive(stream: IO[bytes], target_dir: Path) -> None:
    """Unpack a tar stream from podman into ``target_dir``, refusing unsafe entries.

    Read as a stream (no seeking), so an archive of any size passes through without being held.
    The checks are ours (tarfile's "data" rules, written out) rather than tarfile's filters,
    which Python 3.11 has only from 3.11.4 on; Debian 12's python3, the appliance's, is 3.11.2.

    Raises:
        ContainerError: an entry is absolute, has a ``..`` component, is a link leaving
            ``target_dir`` or a device file.
    """
    with tarfile.open(fileobj=stream, mode="r|") as tar:
        # Pythons that have filters would warn (3.12, 3.13) or filter again (3.14): every
        # member is checked below already.
        tar.extraction_filter = _checked_already  # type: ignore[attr-defined,unused-ignore]
        for member in tar:
            tar.extract(_safe_member(member, target_dir), target_dir)


def _checked_already(member: tarfile.TarInfo, dest: str) -> tarfile.TarInfo:
    return member


def _refuse(member: tarfile.TarInfo, reason: str) -> ContainerError:
    return ContainerError(f"refusing archive member {member.name!r}: {reason}")


def _safe_member(member: tarfile.TarInfo, target_dir: Path) -> tarfile.TarInfo:
    """A copy of ``member`` that is safe to extract: plain permissions, owned by us.

    Raises:
        ContainerError: the member would leave ``target_dir`` or is not a file, directory
            or link.
    """
    if member.name.startswith("/") or ".." in PurePosixPath(member.name).parts:
        raise _refuse(member, "it leaves the target")
    if not (member.isfile() or member.isdir() or member.issym() or member.islnk()):
        raise _refuse(member, "it is a device, fifo or other special file")
    root = os.path.realpath(target_dir)
    if member.issym():
        if member.linkname.startswith("/"):
            raise _refuse(member, f"it links to the absolute path {member.linkname!r}")
        base = os.path.dirname(os.path.join(root, member.name))
        link_target = os.path.realpath(os.path.join(base, member.linkname))
    elif member.islnk():
        link_target = os.path.realpath(os.path.join(root, member.linkname))
    else:
        link_target = root
    if os.path.commonpath([root, link_target]) != root:
        raise _refuse(member, f"its link {member.linkname!r} leaves the target")
    safe = copy.copy(member)
    # No set-id or sticky bits, nothing group/other-writable; the owner may read and write.
    if member.isfile() or member.islnk():
        safe.mode = (member.mode & 0o755) | 0o600
    elif member.isdir():
        safe.mode = (member.mode & 0o755) | 0o700
    # Extracting as root would chown to the archive's owner: keep files ours instead.
    safe.uid, safe.gid, safe.uname, safe.gname = os.geteuid(), os.getegid(), "", ""
    return safe


def _short(container_id: str) -> str:
    return container_id[:12]


class PodmanBackend:
    """ContainerBackend over the podman API socket at ``url``.

    The podman-py client is created on first use and again after a fork, so a worker may
    build this object before koji forks the task process.
    """

    def __init__(
        self,
        url: str = DEFAULT_URL,
        *,
        retry_attempts: int = 3,
        retry_delay_s: float = 2.0,
        api_timeout_s: float = 120.0,
        network: str = DEFAULT_NETWORK,
    ) -> None:
        if retry_attempts < 1:
            raise ValueError("retry_attempts must be at least 1")
        self.url = url
        self.retry_attempts = retry_attempts
        self.retry_delay_s = retry_delay_s
        self.api_timeout_s = api_timeout_s
        self.network = network  # the bridge network commands get when they need one
        # Per container this backend made or asked about: whether the bridge is attached
        # now, or None when it was created without one (it can then never have network).
        self._attached: dict[str, bool | None] = {}
        self._client: Any = None
        self._client_pid = 0

    # -- plumbing -----------------------------------------------------------------------

    @property
    def _podman(self) -> Any:
        """This process's podman-py client (``Any``: podman-py's types are incomplete)."""
        if self._client is None or self._client_pid != os.getpid():
            self._client = podman.PodmanClient(base_url=self.url, timeout=self.api_timeout_s)
            self._client_pid = os.getpid()
        return self._client

    @property
    def _api(self) -> Any:
        """The client's low-level APIClient: a requests.Session with podman's error checks."""
        return self._podman.api

    def _retried(self, action: str, call: Callable[[], T]) -> T:
        """Run an idempotent ``call``, retrying only while podman is unavailable."""

        def warn(state: RetryCallState) -> None:
            error = state.outcome.exception() if state.outcome else None
            log.warning(
                "%s failed (attempt %d of %d), retrying in %.1fs: %s",
                action,
                state.attempt_number,
                self.retry_attempts,
                self.retry_delay_s,
                error,
            )

        def attempt() -> T:
            with podman_errors(action):
                return call()

        retrying = Retrying(
            stop=stop_after_attempt(self.retry_attempts),
            wait=wait_fixed(self.retry_delay_s),
            retry=retry_if_exception_type(ContainerUnavailable),
            before_sleep=warn,
            reraise=True,
        )
        return retrying(attempt)

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        kwargs.setdefault("timeout", self.api_timeout_s)
        response = getattr(self._api, method)(path, **kwargs)
        response.raise_for_status()
        return response.json() if response.content else None

    # -- images -------------------------------------------------------------------------

    def image_exists(self, image: str) -> bool:
        def call() -> bool:
            response = self._api.get(f"/images/{image}/exists", timeout=self.api_timeout_s)
            if response.status_code == 404:
                return False
            response.raise_for_status()
            return True

        return self._retried(f"check image {image}", call)

    def ensure_image(self, image: str, policy: PullPolicy, timeout_s: float) -> str:
        """Make ``image`` present according to ``policy``; return its image id.

        Raises:
            ImageMissing: absent with policy NEVER, or the pull failed (podman's reason kept).
            ContainerTimeout: the pull ran past ``timeout_s``.
        """
        if policy is PullPolicy.NEVER:
            if not self.image_exists(image):
                raise ImageMissing(
                    f"image {image} is not present and the pull policy is never: build or load it"
                )
        elif policy is PullPolicy.ALWAYS or not self.image_exists(image):
            self._retried(f"pull image {image}", lambda: self._pull(image, timeout_s))
        return self.inspect_image(image).id

    def _pull(self, image: str, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        response = self._api.post(
            "/images/pull",
            params={"reference": image, "policy": "always", "quiet": True},
            stream=True,
            timeout=(self.api_timeout_s, timeout_s),
        )
        with contextlib.closing(response):
            response.raise_for_status()
            for report in _json_reports(response, deadline, f"pull image {image}"):
                if report.get("error"):
                    raise ImageMissing(f"cannot pull image {image}: {report['error']}")

    def inspect_image(self, image: str) -> ImageInfo:
        data = self._retried(
            f"inspect image {image}", lambda: self._json("get", f"/images/{image}/json")
        )
        labels = data.get("Labels") or (data.get("Config") or {}).get("Labels") or {}
        return ImageInfo(
            id=data["Id"],
            digest=data.get("Digest") or "",
            tags=tuple(data.get("RepoTags") or ()),
            labels=dict(labels),
            size_bytes=int(data.get("Size") or 0),
        )

    def build_image(
        self,
        context_dir: Path,
        containerfile: str,
        tag: str,
        *,
        labels: Mapping[str, str],
        build_args: Mapping[str, str],
        output: OutputSink | None,
        timeout_s: float,
    ) -> str:
        """Build ``containerfile`` in ``context_dir`` as ``tag``, streaming its output.

        Never retried: a build is not idempotent enough to repeat blindly.

        Raises:
            ContainerError: the build failed; the message ends with podman's error.
            ContainerTimeout: the build ran past ``timeout_s``.
        """
        action = f"build image {tag}"
        deadline = time.monotonic() + timeout_s
        params = {
            "t": tag,
            "dockerfile": containerfile,
            "labels": json.dumps(dict(labels)),
            "buildargs": json.dumps(dict(build_args)),
            "rm": True,
            # A failed build otherwise leaves its working container behind in storage.
            "forcerm": True,
            "layers": True,
        }
        with podman_errors(action), tempfile.TemporaryFile() as body:
            with tarfile.open(fileobj=body, mode="w") as tar:
                tar.add(context_dir, arcname=".", filter=_anonymous)
            body.seek(0)
            response = self._api.post(
                "/build",
                params=params,
                data=body,
                headers={"Content-Type": "application/x-tar"},
                stream=True,
                timeout=(self.api_timeout_s, timeout_s),
            )
            with contextlib.closing(response):
                response.raise_for_status()
                for report in _json_reports(response, deadline, action):
                    if report.get("stream"):
                        emit(output, report["stream"].encode())
                    if report.get("error"):
                        raise ContainerError(f"{action}: {report['error'].strip()}")
        return self.inspect_image(tag).id

    def commit(self, container_id: str, image: str, labels: Mapping[str, str]) -> str:
        """Commit the container (paused meanwhile, so the copy is consistent) as ``image``.

        Raises:
            ContainerError: podman refused.
        """
        repo, _, tag = image.rpartition(":")
        changes = [f"LABEL {name}={json.dumps(value)}" for name, value in labels.items()]
        with podman_errors(f"commit container {_short(container_id)} as {image}"):
            data = self._json("post", "/commit", params={
                "container": container_id, "repo": repo, "tag": tag, "pause": True,
                "changes": changes, "format": "oci",
            })  # fmt: skip
        return str((data or {}).get("Id") or (data or {}).get("id") or "")

    def remove_image(self, image: str) -> None:
        def call() -> None:
            try:
                self._json("delete", f"/images/{image}")
            except podman.errors.NotFound:
                return

        self._retried(f"remove image {image}", call)

    # -- containers ---------------------------------------------------------------------

    def create(self, spec: ContainerSpec) -> str:
        """Create (not start) a container from ``spec``; return its id.

        Raises:
            ImageMissing: the image is not present.
            ContainerError: podman refused the spec (name in use, bad mount, ...).
        """
        kwargs = create_kwargs(spec, self.network)
        log.debug("creating container %s from %s", spec.container_name, spec.image)
        with podman_errors(f"create container {spec.container_name}"):
            container = self._podman.containers.create(**kwargs)
        container_id = str(container.id)
        self._attached[container_id] = True if spec.network is NetworkMode.BRIDGE else None
        return container_id

    def start(self, container_id: str) -> None:
        with podman_errors(f"start container {_short(container_id)}"):
            self._json("post", f"/containers/{container_id}/start")

    def exec(
        self,
        container_id: str,
        argv: Sequence[str],
        *,
        output: OutputSink | None = None,
        user: str | None = None,
        workdir: str | None = None,
        env: Mapping[str, str] | None = None,
        timeout_s: float | None = None,
        network: bool = False,
    ) -> ExecResult:
        """Run argv in the container, streaming stdout+stderr to ``output`` as it comes.

        The bridge is attached before a command that needs ``network`` and detached before
        one that does not; podman keeps it as it is between commands.

        Raises:
            ContainerTimeout: the command ran past ``timeout_s`` and was killed.
            ContainerNotFound: the container does not exist.
            ContainerError: podman could not run the command at all, or ``network`` was
                asked of a container created without a bridge.
        """
        command = tuple(argv)
        action = f"exec in container {_short(container_id)}"
        self._provide_network(container_id, network)
        body: dict[str, Any] = {
            "AttachStdin": False,
            "AttachStdout": True,
            "AttachStderr": True,
            "Tty": False,
            "Cmd": list(exec_argv(command, timeout_s)),
            "Env": [f"{key}={value}" for key, value in (env or {}).items()],
        }
        if user is not None:
            body["User"] = user
        if workdir is not None:
            body["WorkingDir"] = workdir
        read_timeout = None if timeout_s is None else timeout_s + EXEC_KILL_AFTER_S + STREAM_GRACE_S
        started = time.monotonic()
        with podman_errors(action):
            created = self._json("post", f"/containers/{container_id}/exec", data=json.dumps(body))
            exec_id = created["Id"]
            response = self._api.post(
                f"/exec/{exec_id}/start",
                data=json.dumps({"Detach": False, "Tty": False}),
                stream=True,
                timeout=(self.api_timeout_s, read_timeout),
            )
            with contextlib.closing(response):
                response.raise_for_status()
                stream_deadline = None if read_timeout is None else started + read_timeout
                try:
                    for chunk in frames_until(response, stream_deadline, action):
                        emit(output, chunk)
                except (urllib3.exceptions.TimeoutError, TimeoutError, ContainerTimeout) as exc:
                    raise ContainerTimeout(
                        f"{action}: {shlex.join(command)} gave no end after {timeout_s:g}s"
                    ) from exc
            exit_code = self._exec_exit_code(exec_id)
        duration_s = time.monotonic() - started
        if (
            timeout_s is not None
            and exit_code in EXEC_TIMEOUT_EXIT_CODES
            and duration_s >= timeout_s
        ):
            raise ContainerTimeout(
                f"{action}: {shlex.join(command)} ran past its {timeout_s:g}s deadline"
                " and was killed"
            )
        return ExecResult(argv=command, exit_code=exit_code, duration_s=duration_s)

    def _exec_exit_code(self, exec_id: str) -> int:
        # The stream can close a moment before podman records the exit code.
        deadline = time.monotonic() + EXEC_EXIT_WAIT_S
        while True:
            info = self._json("get", f"/exec/{exec_id}/json")
            if not info.get("Running") or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        if info.get("Running"):
            raise ContainerTimeout(
                f"exec session {exec_id[:12]} still running after its output ended"
            )
        return int(info["ExitCode"])

    def copy_in(self, container_id: str, source: Path, target_dir: str) -> None:
        """Copy a host file or directory into ``target_dir`` via a tar stream.

        Raises:
            ContainerNotFound: the container does not exist.
            ContainerError: podman refused (read-only target, ...).
        """
        action = f"copy {source} into container {_short(container_id)}:{target_dir}"
        with podman_errors(action), tempfile.TemporaryFile() as body:
            with tarfile.open(fileobj=body, mode="w") as tar:
                tar.add(source, arcname=source.name, filter=_anonymous)
            body.seek(0)
            self._json(
                "put", f"/containers/{container_id}/archive", params={"path": target_dir}, data=body
            )

    def copy_out(self, container_id: str, source: str, target_dir: Path) -> None:
        """Copy ``source`` out of the container into ``target_dir``, checking every entry.

        Raises:
            ContainerError: ``source`` is missing or the archive holds an unsafe entry.
        """
        action = f"copy container {_short(container_id)}:{source} to {target_dir}"
        target_dir.mkdir(parents=True, exist_ok=True)
        with podman_errors(action):
            response = self._api.get(
                f"/containers/{container_id}/archive",
                params={"path": source},
                stream=True,
                timeout=self.api_timeout_s,
            )
            with contextlib.closing(response):
                # A 404 names what is missing: the container or the path.
                response.raise_for_status()
                extract_archive(response.raw, target_dir)

    def _provide_network(self, container_id: str, wanted: bool) -> None:
        """Attach or detach the bridge so that the next command has the network it needs.

        Raises:
            ContainerNotFound: the container does not exist.
            ContainerError: network is wanted and the container was created without a
                bridge, or podman refused the change.
        """
        verb = "connect" if wanted else "disconnect"
        action = f"{verb} network of {_short(container_id)}"
        with podman_errors(action):
            if container_id not in self._attached:
                data = self._json("get", f"/containers/{container_id}/json")
                bridged = (data.get("HostConfig") or {}).get("NetworkMode") in (
                    "bridge", self.network)  # fmt: skip
                networks = (data.get("NetworkSettings") or {}).get("Networks") or {}
                self._attached[container_id] = self.network in networks if bridged else None
            attached = self._attached[container_id]
            if attached is None:
                if wanted:
                    raise ContainerError(
                        f"{action}: the container was created without a bridge, so no command "
                        "in it can have network"
                    )
                return
            if attached == wanted:
                return
            response = self._api.post(
                f"/networks/{self.network}/{verb}",
                data=json.dumps({"Container": container_id}),
                timeout=self.api_timeout_s,
            )
            response.raise_for_status()  # podman answers a plain "OK", not JSON
            self._attached[container_id] = wanted

    def remove(self, container_id: str) -> None:
        def call() -> None:
            # timeout=0: SIGKILL at once; stop() is the graceful path.
            try:
                reports = self._json(
                    "delete", f"/containers/{container_id}", params={"force": True, "timeout": 0}
                )
            except podman.errors.APIError as exc:
                # podman 4.3 sometimes finds the container's /dev/shm still mounted right after
                # its processes die ("device or resource busy"): a moment later it goes.
                if "resource busy" in str(exc):
                    raise ContainerUnavailable(
                        f"remove container {_short(container_id)}: {_podman_text(exc)}"
                    ) from exc
                raise
            for report in reports or []:
                if report.get("Err"):
                    raise ContainerError(
                        f"remove container {_short(container_id)}: {report['Err']}"
                    )

        self._retried(f"remove container {_short(container_id)}", call)
        self._attached.pop(container_id, None)

    def list(self, labels: Mapping[str, str]) -> list[ContainerInfo]:
        filters = {"label": [f"{key}={value}" for key, value in labels.items()]}
        entries = self._retried(
            "list containers",
            lambda: self._json(
                "get", "/containers/json", params={"all": True, "filters": json.dumps(filters)}
            ),
        )
        return [
            ContainerInfo(
                id=entry["Id"],
                name=(entry.get("Names") or [""])[0].lstrip("/"),
                image=entry.get("Image", ""),
                status=entry.get("State", "unknown"),
                labels=dict(entry.get("Labels") or {}),
            )
            for entry in entries or []
        ]


def _anonymous(info: tarfile.TarInfo) -> tarfile.TarInfo:
    """Do not leak host users into the container: entries are owned by root."""
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    return info
