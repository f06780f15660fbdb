#!/bin/sh
# Entry point of the worker appliance: check what the worker needs, then exec adjutant so
# signals (SIGTERM for a graceful stop) reach the Python process directly.
set -eu

socket_url=${KOJI_ADJUTANT_PODMAN_URL:-unix:///run/podman/podman.sock}
case "$socket_url" in
    unix://*)
        socket_path=${socket_url#unix://}
        if [ ! -S "$socket_path" ]; then
            echo "adjutant-entrypoint: no podman API socket at $socket_path:" \
                 "mount the host's socket there (-v /run/podman/podman.sock:$socket_path)" >&2
            exit 2
        fi
        ;;
esac

if [ "${1:-}" = "worker" ]; then
    # Refuse to start on a bad configuration, naming every problem (exit status 2).
    adjutant config check
fi
exec adjutant "$@"
