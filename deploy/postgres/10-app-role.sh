#!/bin/sh
# The product's own database role, made once when the Compose file's Postgres starts on an empty
# volume (/docker-entrypoint-initdb.d): `ocpizza`, a member of ocpizza_app, which owns nothing and
# may only read and add to the fiscal journal (db/migrations/0091). The image's POSTGRES_USER
# (ocpizza_owner) owns the database and migrates it; production refuses to run as it.
set -eu
psql -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d "$POSTGRES_DB" -v pw="$POSTGRES_APP_PASSWORD" <<'SQL'
CREATE ROLE ocpizza_app NOLOGIN;
SELECT format('CREATE ROLE ocpizza LOGIN PASSWORD %L IN ROLE ocpizza_app', :'pw') \gexec
SQL
