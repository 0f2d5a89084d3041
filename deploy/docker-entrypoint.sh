#!/bin/sh
# The container's entry point: clear the Prometheus multiprocess folder of an earlier run (its
# counts must not be added to this run's), then run the command, by default `matcher serve`
# (host, port and workers from MATCHER_HOST, MATCHER_PORT and MATCHER_WORKERS).
set -eu
if [ -n "${PROMETHEUS_MULTIPROC_DIR:-}" ]; then
    mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
    find "$PROMETHEUS_MULTIPROC_DIR" -maxdepth 1 -type f -name '*.db' -delete
fi
exec "$@"
