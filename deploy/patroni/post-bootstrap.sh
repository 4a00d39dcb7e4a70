#!/bin/sh
# Run once by Patroni on the first leader of a new cluster (bootstrap.post_bootstrap), with a
# connection string as its argument: the product's own role, `ocpizza`, a member of ocpizza_app,
# which owns nothing and may only read and add to the fiscal journal (db/migrations/0091). The
# superuser (ocpizza_owner) owns the database and migrates it; production refuses to run as it.
set -eu
psql "$1" -v ON_ERROR_STOP=1 -v pw="${OCPIZZA_APP_PASSWORD:?}" <<'SQL'
CREATE ROLE ocpizza_app NOLOGIN;
SELECT format('CREATE ROLE ocpizza LOGIN PASSWORD %L IN ROLE ocpizza_app', :'pw') \gexec
CREATE DATABASE ocpizza OWNER ocpizza_owner;
SQL
