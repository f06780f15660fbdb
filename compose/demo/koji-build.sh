#!/bin/sh
# The compose demo's koji client (podman-compose.yml, profile demo): the stock koji CLI asks
# for the build tag's repo (the worker makes it), then builds the sample SRPM and waits.
set -eu
conf=/var/lib/devhub/koji.conf
koji() { command koji -c "$conf" -p koji "$@"; }
waited=0
until [ -e "$conf" ] && koji moshimoshi >/dev/null 2>&1; do
    waited=$((waited + 1))
    if [ "$waited" -ge 120 ]; then
        echo "koji-build: the hub did not answer at https://devhub:8443/kojihub in 120 s" >&2
        exit 1
    fi
    sleep 1
done
echo "== koji regen-repo --wait demo-build"
koji regen-repo --wait demo-build
echo "== koji build --wait demo adjutant-hello-1.0-1.src.rpm"
koji build --wait demo /srpms/adjutant-hello-1.0-1.src.rpm
echo "== koji list-tagged demo-base adjutant-hello"
koji list-tagged demo-base adjutant-hello
