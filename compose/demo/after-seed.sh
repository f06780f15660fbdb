#!/bin/sh
# The compose demo's worker waits (at most 120 s) for devhub to have written its certificate
# and CA, which its configuration check requires, then starts as the appliance does.
set -eu
waited=0
until [ -e /var/lib/devhub/seeded ]; do
    waited=$((waited + 1))
    if [ "$waited" -ge 120 ]; then
        echo "after-seed: devhub has not seeded /var/lib/devhub in 120 s" >&2
        exit 1
    fi
    sleep 1
done
exec /usr/local/bin/adjutant-entrypoint "$@"
