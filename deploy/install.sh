#!/usr/bin/env bash
# Installs OC Pizza Live on a Debian 12 host that runs PostgreSQL 15 and Redis 7, behind Nginx,
# with systemd keeping the processes up: several servers on consecutive ports, the workers, the
# migrations and a daily backup timer, all as the unprivileged user `ocpizza`.
#
# Run as root from a checkout of the version to install:
#   deploy/install.sh --domain ocpizza.example.fr [--servers 2] [--first-port 3001] [--demo]
# Run it again to update: the code is rebuilt and replaced, the settings file is kept, the
# migrations run under their lock and the services restart one server at a time.
#
# What it does (docs/operations.md, §3.2):
#   1. checks Node (20.19 or newer, at /usr/bin/node as the units expect) and installs nginx,
#      ssl-cert and the PostgreSQL client tools from Debian's packages;
#   2. creates the system user `ocpizza` (no login, home /var/lib/ocpizza);
#   3. builds the checkout with its production dependencies into /opt/ocpizza/releases/<time> and
#      points /opt/ocpizza/current at it (the code belongs to root: the services cannot change it);
#   4. writes /etc/ocpizza/ocpizza.env once (mode 0640, root:ocpizza): the database URL with a
#      generated password, Redis, a generated SESSION_SECRET, the site's address, the folders;
#      and makes /etc/ocpizza/fiscal-key.pem once (the fiscal journal's signing key, same mode);
#   5. creates the database roles and database if missing: `ocpizza_owner` owns the tables and
#      migrates them (DATABASE_OWNER_URL), the product runs as `ocpizza`, a member of ocpizza_app
#      that owns nothing and may only read and add to the fiscal journal (DATABASE_URL; production
#      refuses to run as an owner or a superuser); runs the migrations (and the demo seed with --demo);
#   6. installs the units in /etc/systemd/system and the site in /etc/nginx/sites-available, with
#      its name, the servers' ports and the Let's Encrypt certificate if there is one (a site the
#      operators changed is kept, the new one written beside it), and checks it with `nginx -t`;
#   7. where systemd runs: enables and starts everything and waits for each server's /readyz.
#      Where it does not (a container, a CI machine), it stops after step 6 and says so.
#
# To try it without touching the host's /opt, /etc and /var, set OCPIZZA_ROOT to a folder: every
# installed path is made under it, and the database steps use OCPIZZA_DB_NAME. The user is real.
set -euo pipefail

DOMAIN=ocpizza.example.fr
SERVERS=2
FIRST_PORT=3001
DEMO=0
while [ $# -gt 0 ]; do
  case "$1" in
    --domain) DOMAIN="$2"; shift 2 ;;
    --servers) SERVERS="$2"; shift 2 ;;
    --first-port) FIRST_PORT="$2"; shift 2 ;;
    --demo) DEMO=1; shift ;;
    -h|--help) sed -n '2,30p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

say() { printf '\n== %s\n' "$*"; }
die() { printf 'install.sh: %s\n' "$*" >&2; exit 1; }

[[ "$DOMAIN" =~ ^[A-Za-z0-9.-]+$ ]] || die "--domain: a host name, such as ocpizza.example.fr"
[[ "$SERVERS" =~ ^[1-9][0-9]?$ ]] || die "--servers: 1 to 99"
if ! [[ "$FIRST_PORT" =~ ^[0-9]+$ ]] || [ "$FIRST_PORT" -lt 1024 ] || [ $((FIRST_PORT + SERVERS)) -gt 65535 ]; then die "--first-port: 1024 or above"; fi
[ "$(id -u)" -eq 0 ] || die "run it as root (sudo deploy/install.sh …)"
[ -f /etc/debian_version ] || die "made for Debian 12 (bookworm); see docs/operations.md for other hosts"

SRC="$(cd "$(dirname "$0")/.." && pwd)"
ROOT="${OCPIZZA_ROOT:-}"
APP_USER=ocpizza
BASE="$ROOT/opt/ocpizza"
APP="$BASE/current"
ETC="$ROOT/etc/ocpizza"
STATE="$ROOT/var/lib/ocpizza"
UNITS="$ROOT/etc/systemd/system"
NGINX="$ROOT/etc/nginx"
ENV_FILE="$ETC/ocpizza.env"
DB_NAME="${OCPIZZA_DB_NAME:-ocpizza}"
DB_ROLE="${OCPIZZA_DB_ROLE:-$DB_NAME}"
DB_OWNER="${OCPIZZA_DB_OWNER:-${DB_ROLE}_owner}"
mapfile -t PORTS < <(seq "$FIRST_PORT" $((FIRST_PORT + SERVERS - 1)))

say "1. Node, Nginx and the PostgreSQL client"
NODE=/usr/bin/node
[ -x "$NODE" ] || die "Node 20.19+ must be at /usr/bin/node (NodeSource's nodejs package puts it there)"
"$NODE" -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' \
  || die "Node $("$NODE" --version) is too old: 20.19 or newer is needed"
command -v npm >/dev/null || die "npm is missing (it comes with Node)"
missing=()
command -v nginx >/dev/null || missing+=(nginx)
command -v make-ssl-cert >/dev/null || missing+=(ssl-cert)
command -v pg_dump >/dev/null || missing+=(postgresql-client)
command -v psql >/dev/null || missing+=(postgresql-client)
command -v openssl >/dev/null || missing+=(openssl)
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
echo "node $("$NODE" --version), $(nginx -v 2>&1), $(pg_dump --version)"

say "2. The user $APP_USER"
if id "$APP_USER" >/dev/null 2>&1; then
  echo "$APP_USER exists"
else
  useradd --system --user-group --home-dir /var/lib/ocpizza --no-create-home --shell /usr/sbin/nologin "$APP_USER"
  echo "created $APP_USER"
fi

say "3. The code in $BASE"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
# what the checkout holds, without what it built or installed
tar -C "$SRC" --exclude=./node_modules --exclude=./.git --exclude=./build --exclude=./dist \
  --exclude=./.svelte-kit --exclude=./test-results --exclude=./coverage --exclude=./backups --exclude=./media \
  --exclude=./.env -cf - . | tar -C "$stage" -xf -
(
  cd "$stage"
  npm install --no-audit --no-fund --loglevel=error
  npm run build > build.log 2>&1 || { tail -40 build.log; exit 1; }
  rm build.log
  npm prune --omit=dev --no-audit --no-fund --loglevel=error
)
# each version in its own folder, /opt/ocpizza/current pointing at the one running: servers still
# on the old version keep their folder until they restart, and the previous one stays to go back to
release="$BASE/releases/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$BASE/releases"
cp -a "$stage/." "$release/"
chown -R root:root "$release"
chmod -R go-w "$release"
chmod 0755 "$BASE" "$BASE/releases" "$release"
ln -sfn "$release" "$BASE/current.new" && mv -T "$BASE/current.new" "$APP"
# the three newest versions are kept
find "$BASE/releases" -mindepth 1 -maxdepth 1 -type d | sort | head -n -3 | xargs -r rm -rf
echo "built $("$NODE" -p "require('$APP/package.json').version") into $release, now $APP"

say "4. The settings in $ENV_FILE"
mkdir -p "$ETC" "$STATE/backups" "$STATE/media"
chown "$APP_USER:$APP_USER" "$STATE" "$STATE/backups" "$STATE/media"
chmod 0750 "$STATE"
# the key that signs the fiscal journal (docs/operations.md §4.11): made once, never replaced
FISCAL_KEY="$ETC/fiscal-key.pem"
if [ ! -f "$FISCAL_KEY" ]; then
  (umask 077; openssl genpkey -algorithm ed25519 -out "$FISCAL_KEY")
  echo "made the fiscal journal's signing key $FISCAL_KEY: keep a copy somewhere safe, apart from the backups"
fi
chown "root:$APP_USER" "$FISCAL_KEY"
chmod 0640 "$FISCAL_KEY"
if [ -f "$ENV_FILE" ]; then
  echo "kept (edit it, then: systemctl restart ocpizza.target)"
  # production refuses to start without the site's address (the start of every link it mails)
  if ! grep -q '^PUBLIC_ORIGIN=' "$ENV_FILE"; then
    echo "PUBLIC_ORIGIN=https://$DOMAIN" >> "$ENV_FILE"
    echo "added PUBLIC_ORIGIN=https://$DOMAIN"
  fi
  # nor without the fiscal journal's signing key
  if ! grep -qE '^FISCAL_(SIGNING_KEY|KEY_FILE)=' "$ENV_FILE"; then
    echo "FISCAL_KEY_FILE=$FISCAL_KEY" >> "$ENV_FILE"
    echo "added FISCAL_KEY_FILE=$FISCAL_KEY"
  fi
else
  db_password="$(openssl rand -hex 24)"
  owner_password="$(openssl rand -hex 24)"
  umask 027
  cat > "$ENV_FILE" <<EOF
# OC Pizza Live settings (docs/operations.md §4). Read by every ocpizza unit; never commit it.
DATABASE_URL=postgres://$DB_ROLE:$db_password@127.0.0.1:5432/$DB_NAME
DATABASE_OWNER_URL=postgres://$DB_OWNER:$owner_password@127.0.0.1:5432/$DB_NAME
REDIS_URL=redis://127.0.0.1:6379
SESSION_SECRET=$(openssl rand -base64 48 | tr -d '\n')
FISCAL_KEY_FILE=$FISCAL_KEY
PUBLIC_ORIGIN=https://$DOMAIN
TRUST_PROXY=loopback
BACKUP_DIR=$STATE/backups
BACKUP_RETENTION_DAYS=14
MEDIA_DIR=$STATE/media
LOG_LEVEL=info
EOF
  if [ "$DEMO" = 1 ]; then echo "DEMO_PASSWORD=$(openssl rand -hex 8)" >> "$ENV_FILE"; fi
  umask 022
  chown "root:$APP_USER" "$ENV_FILE"
  chmod 0640 "$ENV_FILE"
  echo "written with new database passwords and SESSION_SECRET"
  # the roles and database, once, with the passwords just written: the owner migrates, the product
  # runs as a member of ocpizza_app (read and add only on the fiscal journal: db/migrations/0091)
  if [ -n "${OCPIZZA_PSQL_ADMIN:-}" ]; then read -r -a admin <<< "$OCPIZZA_PSQL_ADMIN"; else admin=(runuser -u postgres -- psql); fi
  "${admin[@]}" -X -q -v ON_ERROR_STOP=1 -v role="$DB_ROLE" -v pw="$db_password" -v owner="$DB_OWNER" -v opw="$owner_password" -v db="$DB_NAME" <<'SQL'
SELECT 'CREATE ROLE ocpizza_app NOLOGIN' WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'ocpizza_app') \gexec
SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', :'owner', :'opw') WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'owner') \gexec
SELECT format('ALTER ROLE %I LOGIN PASSWORD %L', :'owner', :'opw') \gexec
SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', :'role', :'pw') WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'role') \gexec
SELECT format('ALTER ROLE %I LOGIN NOSUPERUSER PASSWORD %L', :'role', :'pw') \gexec
SELECT format('GRANT ocpizza_app TO %I', :'role') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'owner') WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'db') \gexec
SQL
  echo "database $DB_NAME owned by $DB_OWNER; the product runs as $DB_ROLE (a member of ocpizza_app)"
fi
# an install from before the product ran as a role of its own: its DATABASE_URL's role owns the
# database (production now refuses it). Nothing is changed by itself: how to move, below.
if ! grep -q '^DATABASE_OWNER_URL=' "$ENV_FILE"; then
  echo "WARNING: $ENV_FILE has no DATABASE_OWNER_URL: the product runs as the database's owner, which production refuses."
  echo "  Make a role of its own (docs/operations.md §4.11): CREATE ROLE ocpizza_app NOLOGIN; CREATE ROLE ${DB_ROLE}_app LOGIN PASSWORD '...' IN ROLE ocpizza_app;"
  echo "  then move the current DATABASE_URL to DATABASE_OWNER_URL and point DATABASE_URL at the new role, and run this again."
fi

say "5. Migrations"
as_app() {
  # shellcheck disable=SC2016 # expanded by the inner shell, as the service user
  runuser -u "$APP_USER" -- bash -c 'set -a; . "$0"; set +a; cd "$1"; shift 2; NODE_ENV=production exec "$@"' "$ENV_FILE" "$APP" -- "$@"
}
as_app "$NODE" dist/db/migrate.js
if [ "$DEMO" = 1 ]; then
  as_app "$NODE" dist/db/seed.js
  echo "demo chain seeded: staff accounts' password is DEMO_PASSWORD in $ENV_FILE"
fi

say "6. Units and the Nginx site"
mkdir -p "$UNITS" "$NGINX/sites-available" "$NGINX/sites-enabled"
for unit in "$APP"/deploy/systemd/*; do install -m 0644 "$unit" "$UNITS/"; done
upstreams=""
for port in "${PORTS[@]}"; do upstreams+="    server 127.0.0.1:$port max_fails=3 fail_timeout=10s;\n"; done
site="$NGINX/sites-available/ocpizza.conf"
# the site's name and servers; its own certificate once certbot has made one
cert="/etc/letsencrypt/live/$DOMAIN"
sed -e "s/ocpizza\.example\.fr/$DOMAIN/g" \
  -e '/^    server 127\.0\.0\.1:[0-9]* max_fails/d' \
  -e "s/^    least_conn;/    least_conn;\n${upstreams%\\n}/" \
  "$APP/deploy/nginx/ocpizza.conf" > "$site.dist"
if [ -f "$cert/fullchain.pem" ] && [ -f "$cert/privkey.pem" ]; then
  sed -i -e "s#^    ssl_certificate     /etc/ssl/certs/ssl-cert-snakeoil.pem;#    ssl_certificate     $cert/fullchain.pem;#" \
    -e "s#^    ssl_certificate_key /etc/ssl/private/ssl-cert-snakeoil.key;#    ssl_certificate_key $cert/privkey.pem;#" "$site.dist"
fi
if [ -f "$site" ] && ! cmp -s "$site" "$site.dist"; then
  # an update never overwrites what the operators changed (a certificate, a limit): they merge it
  echo "kept $site as it is; this version's is beside it: diff $site $site.dist"
else
  mv "$site.dist" "$site"
fi
ln -sfn ../sites-available/ocpizza.conf "$NGINX/sites-enabled/ocpizza.conf"
[ -f /etc/ssl/certs/ssl-cert-snakeoil.pem ] || make-ssl-cert generate-default-snakeoil
mkdir -p "$ROOT/var/www/letsencrypt"
if [ -z "$ROOT" ]; then
  # Debian's default site answers port 80 for every name: the product takes its place
  rm -f /etc/nginx/sites-enabled/default
  nginx -t
else
  check="$(mktemp -d)"
  printf 'pid %s/nginx.pid;\nerror_log %s/error.log;\nevents {}\nhttp {\n  include /etc/nginx/mime.types;\n  include %s;\n}\n' \
    "$check" "$check" "$NGINX/sites-available/ocpizza.conf" > "$check/nginx.conf"
  nginx -t -c "$check/nginx.conf"
  rm -rf "$check"
fi

say "7. Services"
if [ -z "$ROOT" ] && [ -d /run/systemd/system ]; then
  systemctl daemon-reload
  servers=()
  for port in "${PORTS[@]}"; do servers+=("ocpizza-server@$port.service"); done
  systemctl enable ocpizza.target ocpizza-workers.service ocpizza-backup.timer "${servers[@]}"
  systemctl start ocpizza-migrate.service
  # one server at a time: the others keep serving while each restarts on the new code
  for s in "${servers[@]}"; do
    systemctl restart "$s"
    port="${s#ocpizza-server@}"; port="${port%.service}"
    for _ in $(seq 1 60); do
      curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
      sleep 1
    done
    curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null || die "$s is not ready: journalctl -u $s"
    echo "$s ready"
  done
  systemctl restart ocpizza-workers.service
  systemctl start ocpizza.target ocpizza-backup.timer
  systemctl reload nginx || systemctl start nginx
  echo "running: https://$DOMAIN (put the site's certificate in: docs/operations.md §3.2)"
else
  echo "systemd is not running here (or OCPIZZA_ROOT is set): the units are installed, not started."
  echo "On the host: systemctl daemon-reload && systemctl enable --now ocpizza.target ocpizza-workers ocpizza-backup.timer$(printf ' ocpizza-server@%s' "${PORTS[@]}")"
fi
