# bench/common.sh - what the run-*.sh benchmarks share; sourced, not run.
#
# A private httpd (event MPM, 2 processes x 25 threads, keep-alive,
# LogLevel warn, no access log) on 127.0.0.1 with mod_mapihttp and the LMDB
# backend (Basic auth through its provider on /mapi and /auth), its session
# store on tmpfs when there is one (where Debian's DefaultRuntimeDir,
# /run/apache2, puts it), and the server's CPU time per request.
#
# Set before sourcing: build (the build directory), port, secs (the seconds
# a measured run lasts), bench_name (names the temporary directory).
# Sets: run (a temporary directory, removed with the session store on exit),
#   sessions, store, failed=0.
# Functions:
#   admin ARGS...        mapihttp-admin on the store
#   start [DIRECTIVES]   writes httpd.conf (DIRECTIVES among the server's)
#                        and starts httpd; stop stops it
#   measure COMMAND...   runs a bench program that prints a table row, prints
#                        the row with the server's CPU per request added, and
#                        leaves its rate and that CPU in $rate and $cpu
#   check_log            fails the script on any error in the server log or
#                        any failed request

moddir="$(apxs -q LIBEXECDIR)"
run="$(mktemp -d "/tmp/mh-bench-${bench_name:-run}-XXXXXX")"
chmod 755 "$run"
# (here /tmp may be a disk)
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
    sessions="$(mktemp -d /dev/shm/mh-bench-sessions-XXXXXX)"
else
    sessions="$run/sessions"
    mkdir -p "$sessions"
fi
[ "$(id -u)" -eq 0 ] && chown www-data:www-data "$sessions"
trap 'stop; rm -rf "$run" "$sessions"' EXIT
store="lmdb path=$run/store"
failed=0
mkdir -p "$run/htdocs"

admin() { "$build/tools/mapihttp-admin" --backend "$store" "$@"; }

stop() {
    if [ -f "$run/httpd.pid" ]; then
        kill "$(cat "$run/httpd.pid")" 2>/dev/null || true
        for _ in 1 2 3 4 5 6 7 8 9 10; do
            [ -f "$run/httpd.pid" ] && kill -0 "$(cat "$run/httpd.pid")" 2>/dev/null || break
            sleep 0.5
        done
        rm -f "$run/httpd.pid"
    fi
}

start() {
    runas=""
    [ "$(id -u)" -eq 0 ] && runas="User www-data
Group www-data"
    cat > "$run/httpd.conf" <<CONF
ServerRoot "$run"
ServerName 127.0.0.1
PidFile $run/httpd.pid
DefaultRuntimeDir $run
DocumentRoot $run/htdocs
ErrorLog $run/error.log
LogLevel warn
$runas
LoadModule mpm_event_module $moddir/mod_mpm_event.so
LoadModule authn_core_module $moddir/mod_authn_core.so
LoadModule auth_basic_module $moddir/mod_auth_basic.so
LoadModule authz_core_module $moddir/mod_authz_core.so
LoadModule authz_user_module $moddir/mod_authz_user.so
LoadModule mapihttp_module $build/.libs/mod_mapihttp.so
LoadModule mapihttp_lmdb_module $build/.libs/mod_mapihttp_lmdb.so
StartServers 2
ServerLimit 4
ThreadsPerChild 25
MaxRequestWorkers 100
KeepAlive On
MaxKeepAliveRequests 0
MapiHttpBackend $store
MapiHttpSessionStore $sessions
${1:-}
Listen 127.0.0.1:$port
<Directory $run/htdocs>
    Require all granted
</Directory>
<Location /auth>
    AuthType Basic
    AuthName bench
    AuthBasicProvider lmdb
    Require valid-user
</Location>
<Location /mapi>
    MapiHttp On
    AuthType Basic
    AuthName bench
    AuthBasicProvider lmdb
    Require valid-user
</Location>
CONF
    apache2 -d "$run" -f "$run/httpd.conf" -k start
    for _ in 1 2 3 4 5 6 7 8 9 10; do
        [ -f "$run/httpd.pid" ] && break
        sleep 0.5
    done
    sleep 1
}

# CPU time the httpd's processes have used so far, in clock ticks: what a
# request costs the server, whatever else the machine is doing.
ticks() {
    for p in $(pgrep -f "$run/httpd.conf"); do cat "/proc/$p/stat" 2>/dev/null; done |
        sed 's/^.*) //' | awk '{ t += $12 + $13 } END { print t + 0 }'
}
hz="$(getconf CLK_TCK)"

measure() {
    t0="$(ticks)"
    line="$("$@")" || failed=1
    t1="$(ticks)"
    rate="$(echo "$line" | awk -F'|' '{print $3 + 0}')"
    cpu="$(awk -v t="$((t1 - t0))" -v hz="$hz" -v r="$rate" -v s="$secs" \
        'BEGIN { printf "%7.0f", (r > 0 ? t * 1e6 / hz / (r * s) : 0) }')"
    echo "$line $cpu |"
}

check_log() {
    if grep -E ':(error|crit|alert|emerg)\]' "$run/error.log" >/dev/null; then
        echo "errors in the server log:" >&2
        grep -E ':(error|crit|alert|emerg)\]' "$run/error.log" | head >&2
        exit 1
    fi
    [ "$failed" -eq 0 ] || { echo "some requests failed (see above)" >&2; exit 1; }
}
