# The database and broker a cluster test needs, from Debian's packages, started on loopback ports
# with throw-away data folders and stopped at the end. Sourced by ./run (which defines `log` and
# `ensure_debian_packages`):
#
#   start_postgres   sets POSTGRES_URL=postgres://livecheck@127.0.0.1:PORT/postgres, and POSTGRES_CA to
#                    the CA of the certificate it also accepts TLS with (for 127.0.0.1)
#   postgres_database NAME  creates database NAME there and prints its URL
#   start_redis      sets REDIS_URL=redis://127.0.0.1:PORT, REDIS_TLS_URL=rediss://127.0.0.1:PORT2 (the
#                    same Redis over TLS) and REDIS_CA (its certificate's CA)
#   stop_services    stops what was started and removes its data (also on exit, by a trap)
#
# Nothing here touches a PostgreSQL the machine may already run: its own cluster, its own port.

SERVICE_DIRS=()

# make_certificates DIR: a CA of its own (DIR/ca.crt) and a certificate it signs for 127.0.0.1
# (DIR/server.crt, DIR/server.key). A CA certificate may not serve as a server's own: rustls refuses it.
make_certificates() {
  ensure_debian_packages openssl
  local dir=$1
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -subj /CN=livecheck-test-ca -keyout "$dir/ca.key" -out "$dir/ca.crt" 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=127.0.0.1 \
    -keyout "$dir/server.key" -out "$dir/server.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n' >"$dir/server.ext"
  openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial \
    -days 2 -extfile "$dir/server.ext" -out "$dir/server.crt" 2>/dev/null
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Runs a command as the unprivileged `postgres` user when we are root (PostgreSQL refuses root).
as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

postgres_bin() {
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

start_postgres() {
  if [ -z "$(postgres_bin)" ]; then
    log "installing PostgreSQL (Debian's package)"
    apt-get install -y --no-install-recommends postgresql >/dev/null 2>&1 ||
      { apt-get update >/dev/null && apt-get install -y --no-install-recommends postgresql >/dev/null; }
  fi
  local bin dir port
  bin=$(postgres_bin)
  dir=$(mktemp -d /tmp/livecheck-pg.XXXXXX)
  SERVICE_DIRS+=("$dir")
  [ "$(id -u)" = 0 ] && chown postgres "$dir"
  port=$(free_port)
  as_postgres "$bin/initdb" -D "$dir/data" -U livecheck --auth=trust -E UTF8 --no-sync >/dev/null
  make_certificates "$dir"
  chmod 600 "$dir/server.key"
  [ "$(id -u)" = 0 ] && chown postgres "$dir/server.key" "$dir/server.crt"
  # Throw-away data: no fsync. Enough connections for every test server's pool at once.
  as_postgres "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w -o \
    "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c max_connections=400 -c ssl=on -c ssl_cert_file=$dir/server.crt -c ssl_key_file=$dir/server.key" \
    start >/dev/null
  printf '%s\nas_postgres %q -D %q -m immediate stop\n' "$(declare -f as_postgres)" "$bin/pg_ctl" "$dir/data" >"$dir/stop"
  POSTGRES_URL="postgres://livecheck@127.0.0.1:$port/postgres"
  POSTGRES_CA="$dir/ca.crt"
  log "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (data in $dir)"
}

postgres_database() {
  "$(postgres_bin)/psql" "$POSTGRES_URL" -qc "CREATE DATABASE $1" >/dev/null
  echo "${POSTGRES_URL%/*}/$1"
}

start_redis() {
  ensure_debian_packages redis-server
  local dir port tls_port
  dir=$(mktemp -d /tmp/livecheck-redis.XXXXXX)
  SERVICE_DIRS+=("$dir")
  port=$(free_port)
  tls_port=$(free_port)
  make_certificates "$dir"
  # Throw-away: no snapshots, no append-only file.
  redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" --save '' --appendonly no \
    --tls-port "$tls_port" --tls-cert-file "$dir/server.crt" --tls-key-file "$dir/server.key" \
    --tls-ca-cert-file "$dir/ca.crt" --tls-auth-clients no \
    --daemonize yes --pidfile "$dir/pid" --logfile "$dir/log"
  for _ in $(seq 50); do [ -s "$dir/pid" ] && break; sleep 0.1; done
  printf 'kill %s\n' "$(cat "$dir/pid")" >"$dir/stop"
  REDIS_URL="redis://127.0.0.1:$port"
  REDIS_TLS_URL="rediss://127.0.0.1:$tls_port"
  REDIS_CA="$dir/ca.crt"
  log "Redis $(redis-server --version | awk '{print $3}' | cut -d= -f2) on 127.0.0.1:$port"
}

stop_services() {
  local dir
  for dir in "${SERVICE_DIRS[@]}"; do
    [ -f "$dir/stop" ] && bash "$dir/stop" >/dev/null 2>&1 || true
    rm -rf "$dir"
  done
  SERVICE_DIRS=()
}
