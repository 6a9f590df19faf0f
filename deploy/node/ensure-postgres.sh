#!/usr/bin/env bash
# PostgreSQL server binaries (initdb, pg_ctl, postgres) for the Node deployment's tests, bench and `make stack-node`,
# installed from Debian only when missing. No cluster is created or started by the package: the service and the
# tests start their own under a data directory.
set -euo pipefail
if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" != 0 ]; then
  echo "ensure-postgres: PostgreSQL server binaries are missing; install postgresql (15 or later)" >&2
  exit 1
fi
mkdir -p /etc/postgresql-common
grep -qs '^create_main_cluster' /etc/postgresql-common/createcluster.conf \
  || echo 'create_main_cluster = false' >> /etc/postgresql-common/createcluster.conf
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15
