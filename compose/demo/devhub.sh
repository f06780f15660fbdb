#!/bin/sh
# The compose demo's hub (podman-compose.yml, profile demo): on first start, seed devhub with
# a small koji site (host, tags, target, build group, the sample package's listing), then
# serve it to the other demo services as https://devhub:8443/kojihub.
set -eu
home=/var/lib/devhub
arch=$(uname -m)
hub() { adjutant devhub --home "$home" "$@"; }
if [ ! -e "$home/seeded" ]; then
    # The worker's client certificate, at a path its environment names.
    cp "$(hub add-host demo-builder --arch "$arch" --channel createrepo)" "$home/demo-builder.pem"
    hub add-tag demo-base --arches "$arch" >/dev/null
    hub add-tag demo-build --arches "$arch" --parent demo-base >/dev/null
    hub add-target demo demo-build demo-base
    # The build group: a package that sets %dist (built by scripts/demo-compose with rpmbuild).
    hub import demo-base /seed/adjutant-demo-macros-1-1.noarch.rpm
    hub add-group demo-build build adjutant-demo-macros
    hub add-group demo-build srpm-build adjutant-demo-macros
    hub add-pkg demo-base adjutant-hello
    hub client-config kojiadmin --server https://devhub:8443/kojihub \
        --topurl http://devhub:8081/kojifiles >"$home/koji.conf"
    touch "$home/seeded"
fi
exec adjutant devhub --home "$home" serve --bind 0.0.0.0 --port 8443 --http-port 8081 \
    --hostname devhub
