#!/usr/bin/env bash
# A throwaway PostgreSQL server for the store tests (tests/test_node_*.py), on 127.0.0.1 only.
#
# Two ways to use it:
#   source .ci/postgres.sh && pg_start && ... && pg_stop      # exports PCF_TEST_POSTGRES_URL
#   eval "$(.ci/postgres.sh start)" && ... && .ci/postgres.sh stop "$PCF_PG_DIR"
#
# pg_start installs Debian's `postgresql` package with apt-get when no initdb is found, creates
# a cluster in a fresh temporary directory (initdb; as a non-root user: the current one, or
# `postgres`/`nobody` when run as root, since PostgreSQL refuses to run as root), starts it with
# pg_ctl on a free port of 127.0.0.1 (no TCP elsewhere; its Unix socket in the same directory),
# creates a password user and a database, and exports
#   PCF_TEST_POSTGRES_URL=postgresql+psycopg://pcf:<password>@127.0.0.1:<port>/pcf_test
#   PCF_PG_DIR=<the cluster directory>
# pg_stop stops the server and deletes the directory.

_pg_bindir() {
    local d
    for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        [ -x "$d/initdb" ] && { echo "$d"; return 0; }
    done
    return 1
}

_pg_as() {  # run a command as the cluster's owner
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u "$PCF_PG_USER" -- "$@"
    else
        "$@"
    fi
}

pg_start() {
    local bindir port password
    if ! bindir=$(_pg_bindir); then
        echo "postgres.sh: installing Debian's postgresql package" >&2
        if [ "$(id -u)" -eq 0 ]; then
            DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 &&
                DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2 || return 1
        else
            sudo -n env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 &&
                sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2 ||
                { echo "postgres.sh: cannot install postgresql (no root, no sudo)" >&2; return 1; }
        fi
        bindir=$(_pg_bindir) || { echo "postgres.sh: no initdb after install" >&2; return 1; }
    fi
    PCF_PG_USER=$(id -un)
    if [ "$(id -u)" -eq 0 ]; then
        if id postgres >/dev/null 2>&1; then PCF_PG_USER=postgres; else PCF_PG_USER=nobody; fi
    fi
    PCF_PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/pcf-pg.XXXXXX") || return 1
    chmod 700 "$PCF_PG_DIR"
    [ "$(id -u)" -eq 0 ] && chown "$PCF_PG_USER" "$PCF_PG_DIR"
    password=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
    printf '%s\n' "$password" >"$PCF_PG_DIR/pwfile"
    [ "$(id -u)" -eq 0 ] && chown "$PCF_PG_USER" "$PCF_PG_DIR/pwfile"
    _pg_as "$bindir/initdb" -D "$PCF_PG_DIR/data" -U pcf --pwfile="$PCF_PG_DIR/pwfile" \
        --auth=scram-sha-256 -E UTF8 --locale=C >"$PCF_PG_DIR/initdb.log" 2>&1 ||
        { cat "$PCF_PG_DIR/initdb.log" >&2; return 1; }
    rm -f "$PCF_PG_DIR/pwfile"
    _pg_as "$bindir/pg_ctl" -D "$PCF_PG_DIR/data" -l "$PCF_PG_DIR/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $PCF_PG_DIR -c fsync=off" start >&2 ||
        { cat "$PCF_PG_DIR/server.log" >&2; return 1; }
    PGPASSWORD=$password "$bindir/createdb" -h 127.0.0.1 -p "$port" -U pcf pcf_test ||
        { pg_stop; return 1; }
    PCF_PG_BINDIR=$bindir
    PCF_TEST_POSTGRES_URL="postgresql+psycopg://pcf:$password@127.0.0.1:$port/pcf_test"
    export PCF_PG_DIR PCF_PG_BINDIR PCF_PG_USER PCF_TEST_POSTGRES_URL
}

pg_stop() {
    local dir=${1:-$PCF_PG_DIR} bindir=${PCF_PG_BINDIR:-$(_pg_bindir)}
    [ -n "$dir" ] && [ -d "$dir" ] || return 0
    case "$dir" in */pcf-pg.*) ;; *) echo "postgres.sh: refusing to remove $dir" >&2; return 1 ;; esac
    PCF_PG_USER=${PCF_PG_USER:-$(stat -c %U "$dir")}
    if [ -d "$dir/data" ]; then
        _pg_as "$bindir/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >&2 || true
    fi
    rm -rf "$dir"
    unset PCF_TEST_POSTGRES_URL PCF_PG_DIR
}

# Run as a script: `start` prints export lines, `stop DIR` stops that cluster.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    set -euo pipefail
    case "${1:-}" in
        start)
            pg_start >&2
            printf 'export PCF_TEST_POSTGRES_URL=%q PCF_PG_DIR=%q PCF_PG_BINDIR=%q PCF_PG_USER=%q\n' \
                "$PCF_TEST_POSTGRES_URL" "$PCF_PG_DIR" "$PCF_PG_BINDIR" "$PCF_PG_USER"
            ;;
        stop) pg_stop "${2:-${PCF_PG_DIR:-}}" ;;
        *) echo "usage: $0 start | stop DIR   (or: source $0; pg_start; ...; pg_stop)" >&2; exit 2 ;;
    esac
fi
