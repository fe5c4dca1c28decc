#!/usr/bin/env bash
# Throwaway PostgreSQL 15 + pgvector for CI and local tests (Debian 12 / bookworm).
#
#   export DATABASE_URL=$(scripts/ci-postgres.sh | tail -1)    # install if needed, start, create DB
#   scripts/ci-postgres.sh stop                                # stop the cluster in $CI_WORK/data
#
# start (default):
#   1. apt-get installs postgresql-15, postgresql-server-dev-15 and dpkg-dev when they are missing. Skipped when
#      /usr/lib/postgresql/15/bin/postgres and the vector extension are both already installed.
#   2. Bookworm has no pgvector package, so pgvector is built from Debian's trixie *source* package and installed
#      into PG 15. apt uses a private config under the work dir; the system's apt sources are never changed.
#   3. Starts a cluster as the `postgres` user (when run as root) on 127.0.0.1:$PGPORT, socket dir /tmp,
#      fsync=off, trust auth. If a server already answers on that port, it is reused as is.
#   4. Creates the database if missing and runs CREATE EXTENSION IF NOT EXISTS vector in it.
#   The last line on stdout is the bare URL (postgresql://postgres@127.0.0.1:55432/platform_test);
#   everything else goes to stderr.
#
# Environment: PGPORT (55432), PGDATABASE_NAME (platform_test), CI_WORK (/tmp/ci-pg), PG_FRESH_DATABASE (1: drop
#              the database first, so that rows of an earlier run on the same machine are gone),
#              PGVECTOR_APT_MIRROR (default: the first Debian mirror in /etc/apt), PGVECTOR_SUITE (trixie).
set -euo pipefail

PG_MAJOR=15
PG_BIN=/usr/lib/postgresql/$PG_MAJOR/bin
PG_CONFIG=$PG_BIN/pg_config
PORT=${PGPORT:-55432}
DB_NAME=${PGDATABASE_NAME:-platform_test}
WORK=${CI_WORK:-/tmp/ci-pg}
DATA=$WORK/data
LOG_DIR=$WORK/log
LOG=$LOG_DIR/postgres.log
SUITE=${PGVECTOR_SUITE:-trixie}
URL="postgresql://postgres@127.0.0.1:$PORT/$DB_NAME"

log() { printf '[ci-postgres] %s\n' "$*"; }
die() { printf '[ci-postgres] ERROR: %s\n' "$*"; exit 1; }

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1fs", b - a }'; }

is_root() { [[ $(id -u) -eq 0 ]]; }

# Commands that need root (apt, make install).
as_root() {
  if is_root; then
    "$@"
  elif command -v sudo >/dev/null; then
    sudo -n "$@"
  else
    die "need root for: $*"
  fi
}

# Commands that must not run as root (initdb, pg_ctl). As root they run as `postgres`.
as_pg() {
  if is_root; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

close_fds() {
  local fd
  for fd in "/proc/$BASHPID/fd/"*; do
    fd=${fd##*/}
    if ((fd > 2)); then eval "exec $fd>&-"; fi
  done
}

vector_installed() {
  [[ -x $PG_CONFIG ]] || return 1
  [[ -f "$("$PG_CONFIG" --sharedir)/extension/vector.control" ]] &&
    [[ -f "$("$PG_CONFIG" --pkglibdir)/vector.so" ]]
}

server_ready() {
  [[ -x $PG_BIN/pg_isready ]] && "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" -t 3
}

apt_install() {
  local apt=(apt-get -q -y -o Dpkg::Use-Pty=0)
  export DEBIAN_FRONTEND=noninteractive
  as_root "${apt[@]}" update
  as_root "${apt[@]}" install --no-install-recommends "$@"
}

install_packages() {
  if [[ -x $PG_BIN/postgres ]] && vector_installed; then
    log "postgresql-$PG_MAJOR and pgvector already installed; skipping apt"
    return
  fi
  local pkgs=()
  [[ -x $PG_BIN/postgres ]] || pkgs+=("postgresql-$PG_MAJOR")
  if ! vector_installed; then
    # Build dependencies of pgvector. postgresql-server-dev-15 also pulls in clang/llvm for the JIT bitcode.
    # (pgxs.mk and pg_config come with postgresql-client-15; the server headers do not.)
    [[ -f /usr/include/postgresql/$PG_MAJOR/server/postgres.h ]] || pkgs+=("postgresql-server-dev-$PG_MAJOR")
    command -v dpkg-source >/dev/null || pkgs+=(dpkg-dev)
    command -v make >/dev/null || pkgs+=(make)
    command -v gcc >/dev/null || pkgs+=(gcc)
  fi
  if ((${#pkgs[@]} == 0)); then
    return
  fi
  log "apt-get install ${pkgs[*]}"
  local t0
  t0=$(now)
  apt_install "${pkgs[@]}"
  log "apt install took $(elapsed "$t0")"
  [[ -x $PG_BIN/postgres ]] || die "$PG_BIN/postgres is still missing after apt-get install"
}

debian_mirror() {
  if [[ -n ${PGVECTOR_APT_MIRROR:-} ]]; then
    echo "$PGVECTOR_APT_MIRROR"
    return
  fi
  local m=''
  if compgen -G '/etc/apt/sources.list.d/*.sources' >/dev/null; then
    m=$(sed -n 's/^URIs:[[:space:]]*//p' /etc/apt/sources.list.d/*.sources | tr ' ' '\n' |
      grep -E '/debian/?$' | head -1 || true)
  fi
  if [[ -z $m && -f /etc/apt/sources.list ]]; then
    m=$(awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^https?:.*\/debian\/?$/) { print $i; exit } }' \
      /etc/apt/sources.list || true)
  fi
  echo "${m:-http://deb.debian.org/debian}"
}

build_pgvector() {
  if vector_installed; then
    log "pgvector already installed in PG $PG_MAJOR ($("$PG_CONFIG" --sharedir)/extension/vector.control)"
    return
  fi
  local t0 src mirror
  t0=$(now)
  src=$WORK/pgvector-src
  rm -rf "$src"
  mkdir -p "$src/apt/lists/partial" "$src/apt/cache/archives/partial"
  mirror=$(debian_mirror)
  echo "deb-src $mirror $SUITE main" >"$src/apt/sources.list"
  log "fetching pgvector source from: deb-src $mirror $SUITE main (private apt config, system sources untouched)"
  local apto=(
    -o "Dir::Etc::sourcelist=$src/apt/sources.list"
    -o "Dir::Etc::sourceparts=-"
    -o "Dir::State::Lists=$src/apt/lists"
    -o "Dir::Cache=$src/apt/cache"
    -o "APT::Sandbox::User=root"
    -q -o Dpkg::Use-Pty=0
  )
  apt-get "${apto[@]}" update
  (cd "$src" && apt-get "${apto[@]}" source --download-only pgvector)

  local orig dir
  orig=$(compgen -G "$src/pgvector_*.orig.tar.*" | awk 'NR == 1') || die "no pgvector orig tarball downloaded"
  log "source: $(basename "$orig")"
  dir=$(tar -tf "$orig" | awk -F/ 'NR == 1 { print $1 }')
  tar -xf "$orig" -C "$src"
  # OPTFLAGS="": pgvector defaults to -march=native; keep the binary portable.
  make -C "$src/$dir" -j"$(nproc)" PG_CONFIG="$PG_CONFIG" OPTFLAGS=""
  as_root make -C "$src/$dir" PG_CONFIG="$PG_CONFIG" OPTFLAGS="" install
  vector_installed || die "pgvector build finished but vector.control / vector.so are not installed"
  log "pgvector build + install took $(elapsed "$t0")"
}

start_cluster() {
  if server_ready; then
    log "a server already answers on 127.0.0.1:$PORT; reusing it"
    return
  fi
  mkdir -p "$WORK" "$LOG_DIR"
  if is_root; then
    chown postgres: "$LOG_DIR"
    as_pg test -w "$LOG_DIR" || die "user postgres cannot write to $LOG_DIR (is $WORK under a private directory?)"
  fi
  cd "$WORK" # the postgres user may not be able to read the caller's cwd

  if [[ ! -f $DATA/PG_VERSION ]]; then
    local t_init locale=C
    t_init=$(now)
    rm -rf "$DATA"
    mkdir -m 700 "$DATA"
    if is_root; then chown postgres: "$DATA"; fi
    if locale -a 2>/dev/null | grep -ixE 'c\.utf-?8' >/dev/null; then locale=C.UTF-8; fi
    as_pg "$PG_BIN/initdb" -D "$DATA" -U postgres --auth=trust -E UTF8 --locale="$locale" --no-sync >/dev/null
    log "initdb $DATA ($locale) took $(elapsed "$t_init")"
  fi

  local t0
  t0=$(now)
  # In a subshell with every fd above 2 closed: the postmaster must not inherit the lock fd (it would hold the
  # lock for its whole life) nor any pipe of the caller (a CI runner or `$(... | tail -1)` would wait for it).
  if ! (
    close_fds
    as_pg "$PG_BIN/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 -o "-p $PORT -k /tmp -c listen_addresses=127.0.0.1 \
-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" start
  ); then
    tail -n 30 "$LOG" || true
    die "could not start PostgreSQL (log: $LOG)"
  fi
  log "started PostgreSQL $PG_MAJOR on 127.0.0.1:$PORT, data $DATA, log $LOG ($(elapsed "$t0"))"
}

stop_cluster() {
  if [[ -f $DATA/postmaster.pid ]]; then
    cd "$WORK"
    as_pg "$PG_BIN/pg_ctl" -D "$DATA" -m fast -w -t 60 stop || true
  else
    log "no cluster running in $DATA"
  fi
}

create_database() {
  local psql=("$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" -U postgres)
  # CI asks for a fresh database: a cluster left by an earlier run (same machine, same CI_WORK) keeps its rows.
  if [[ ${PG_FRESH_DATABASE:-0} == 1 ]]; then
    "${psql[@]}" -d postgres -c "DROP DATABASE IF EXISTS \"$DB_NAME\" WITH (FORCE)"
    log "dropped database $DB_NAME (PG_FRESH_DATABASE=1)"
  fi
  if [[ $("${psql[@]}" -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'") != 1 ]]; then
    "${psql[@]}" -d postgres -c "CREATE DATABASE \"$DB_NAME\""
    log "created database $DB_NAME"
  fi
  "${psql[@]}" -d "$DB_NAME" -c 'SET client_min_messages = warning' -c 'CREATE EXTENSION IF NOT EXISTS vector'
  log "$("${psql[@]}" -d "$DB_NAME" -tAc "SELECT 'server ' || current_setting('server_version') || ', vector ' ||
    (SELECT extversion FROM pg_extension WHERE extname = 'vector')")"
}

main() {
  [[ $DB_NAME =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || die "PGDATABASE_NAME must be a plain identifier: $DB_NAME"
  [[ $PORT =~ ^[0-9]+$ ]] || die "PGPORT must be a number: $PORT"
  mkdir -p "$WORK"
  if [[ -O $WORK ]]; then chmod 755 "$WORK"; fi # the postgres user must be able to traverse it
  exec 9>"$WORK/.lock"
  flock -w 900 9 || die "timed out waiting for the lock $WORK/.lock"

  case ${1:-start} in
  start)
    local t0
    t0=$(now)
    install_packages
    build_pgvector
    start_cluster
    create_database
    log "ready in $(elapsed "$t0"): DATABASE_URL=$URL"
    ;;
  stop) stop_cluster ;;
  url) ;;
  *) die "usage: $0 [start|stop|url]" ;;
  esac
}

# Everything goes to stderr, except the URL printed last.
main "$@" >&2
if [[ ${1:-start} != stop ]]; then
  echo "$URL"
fi
