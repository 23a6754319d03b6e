# shellcheck shell=bash
# A private Apache httpd with mod_auth_gssapi on a loopback port, for the
# HTTP Negotiate tests (test/interop/http_negotiate.sh,
# test/kdc/http_kerberos.sh); sourced, never run. The caller's harness
# provides fail and skip.
#
#   httpd_require                  skips unless httpd, the module and a
#                                  curl with SPNEGO are installed
#   httpd_prepare ROOT PYTHON      makes ROOT's directories and a document,
#                                  picks HTTPD_PORT; sets HTTPD_USER_LINES
#                                  (httpd refuses to serve as root)
#   httpd_write_conf ROOT SERVER_NAME LOCATION_LINES
#                                  writes ROOT/httpd.conf: one <Location />
#                                  with AuthType GSSAPI and the given lines
#   httpd_start PIDS ROOT PYTHON [NAME=VALUE...]
#                                  starts httpd in the foreground with those
#                                  variables (the mechglue, krb5 and our
#                                  module read them from httpd's process
#                                  environment: PassEnv/SetEnv do not reach
#                                  them), adds its pid to the array named
#                                  PIDS (which the caller's cleanup stops)
#                                  and waits until it listens; sets HTTPD_PID
#   httpd_curl DIR HOST [NAME=VALUE...]
#                                  curl --negotiate -u : for /index.html on
#                                  HOST (localhost, resolved to 127.0.0.1
#                                  so that the SPN is HTTP@localhost, or
#                                  127.0.0.1) with those variables: the page
#                                  in DIR/body, the HTTP code in
#                                  DIR/curl.code, the verbose log in
#                                  DIR/curl.log; sets CURL_STATUS
#   httpd_stop_after CURL_LOG ROOT waits for one access-log line per request
#                                  curl sent, then stops httpd by its pid
#   httpd_show CURL_LOG ROOT       prints the Negotiate headers (tokens cut
#                                  short), the access log and auth_gssapi's
#                                  error-log lines

HTTPD=${GSSNEG_HTTPD:-/usr/sbin/apache2}
HTTPD_MODULES=${GSSNEG_HTTPD_MODULES:-/usr/lib/apache2/modules}

httpd_require() {
    [[ -x $HTTPD ]] || skip "Apache httpd is not installed (package apache2)"
    [[ -r $HTTPD_MODULES/mod_auth_gssapi.so ]] ||
        skip "mod_auth_gssapi is not installed (package libapache2-mod-auth-gssapi)"
    command -v curl > /dev/null || skip "curl is not installed"
    curl --version | grep -qw SPNEGO || skip "this curl has no SPNEGO support"
}

httpd_prepare() {
    local root=${1:?usage: httpd_prepare ROOT PYTHON} python=${2:?usage: httpd_prepare ROOT PYTHON}
    mkdir -p "$root/htdocs" "$root/logs" "$root/run"
    echo "hello from the gssneg test server" > "$root/htdocs/index.html"
    # A free loopback port: bound by the kernel, released, then given to httpd.
    HTTPD_PORT=$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    HTTPD_USER_LINES=""
    if [[ $(id -u) -eq 0 ]]; then
        HTTPD_USER_LINES="User nobody
Group $(id -gn nobody 2>/dev/null || echo nogroup)"
        chown nobody "$root/run"
    fi
}

httpd_write_conf() {
    local root=${1:?usage: httpd_write_conf ROOT SERVER_NAME LOCATION_LINES} server_name=$2 location=$3
    cat > "$root/httpd.conf" <<EOF
ServerRoot "$root"
ServerName $server_name
Listen 127.0.0.1:$HTTPD_PORT
PidFile "$root/run/httpd.pid"
DefaultRuntimeDir "$root/run"
Mutex file:$root/run default
$HTTPD_USER_LINES
LoadModule mpm_prefork_module $HTTPD_MODULES/mod_mpm_prefork.so
LoadModule authn_core_module $HTTPD_MODULES/mod_authn_core.so
LoadModule authz_core_module $HTTPD_MODULES/mod_authz_core.so
LoadModule authz_user_module $HTTPD_MODULES/mod_authz_user.so
LoadModule auth_gssapi_module $HTTPD_MODULES/mod_auth_gssapi.so
StartServers 1
MinSpareServers 1
MaxSpareServers 2
KeepAlive On
MaxKeepAliveRequests 100
ErrorLog "$root/logs/error.log"
LogLevel warn auth_gssapi:debug
LogFormat "%h user=%u status=%>s mech=%{GSS_MECH}e gss_name=%{GSS_NAME}e error=%{MAG_ERROR}e \"%r\" \"%{MAG_ERROR_TEXT}e\"" gss
CustomLog "$root/logs/access.log" gss
DocumentRoot "$root/htdocs"
<Location "/">
    AuthType GSSAPI
$location
    GssapiPublishMech On
    GssapiPublishErrors On
    GssapiSSLonly Off
    Require valid-user
</Location>
EOF
}

httpd_start() {
    local -n httpd_pids=${1:?usage: httpd_start PIDS ROOT PYTHON [NAME=VALUE...]}
    local root=$2 python=$3
    shift 3
    # setsid: on shutdown httpd signals its whole process group, which with
    # -DFOREGROUND would otherwise be this script's (and meson's). Started
    # in the background without job control, setsid is not a group leader
    # and execs in place, so $! stays httpd's pid.
    setsid env "$@" "$HTTPD" -f "$root/httpd.conf" -DFOREGROUND > "$root/logs/stdout.log" 2>&1 &
    HTTPD_PID=$!
    httpd_pids+=("$HTTPD_PID")
    # Readiness: wait until httpd accepts connections or exits.
    while ! "$python" -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1]))).close()' \
        "$HTTPD_PORT" 2>/dev/null; do
        if ! kill -0 "$HTTPD_PID" 2>/dev/null; then
            cat "$root/logs/stdout.log" "$root/logs/error.log" 2>/dev/null || true
            fail "httpd exited before listening on 127.0.0.1:$HTTPD_PORT"
        fi
        sleep 0.1
    done
    # httpd may accept connections a moment before its pid file is written.
    local tries=0
    while [[ $(cat "$root/run/httpd.pid" 2>/dev/null) != "$HTTPD_PID" ]] && ((tries++ < 50)); do
        sleep 0.1
    done
    [[ $(cat "$root/run/httpd.pid" 2>/dev/null) == "$HTTPD_PID" ]] ||
        fail "httpd's pid file names $(cat "$root/run/httpd.pid" 2>/dev/null), not $HTTPD_PID"
}

httpd_curl() {
    local dir=${1:?usage: httpd_curl DIR HOST [NAME=VALUE...]} host=${2:?usage: httpd_curl DIR HOST [NAME=VALUE...]}
    shift 2
    local resolve=()
    [[ $host == localhost ]] && resolve=(--resolve "localhost:$HTTPD_PORT:127.0.0.1")
    CURL_STATUS=0
    env "$@" curl --silent --show-error --verbose --negotiate -u : --max-time 30 "${resolve[@]}" \
        -o "$dir/body" -w '%{http_code}\n' "http://$host:$HTTPD_PORT/index.html" \
        > "$dir/curl.code" 2> "$dir/curl.log" || CURL_STATUS=$?
}

httpd_stop_after() {
    local curl_log=${1:?usage: httpd_stop_after CURL_LOG ROOT} root=$2 requests
    # httpd writes the access log line after the response has gone out (a
    # readiness wait, ended early if httpd dies).
    requests=$(grep -c '^> GET ' "$curl_log" || true)
    while [[ $(wc -l < "$root/logs/access.log" 2>/dev/null || echo 0) -lt $requests ]] &&
        kill -0 "$HTTPD_PID" 2>/dev/null; do
        sleep 0.05
    done
    # SIGTERM is a graceful stop for the foreground parent.
    kill "$HTTPD_PID" 2>/dev/null || true
    wait "$HTTPD_PID" 2>/dev/null || true
}

httpd_show() {
    local curl_log=${1:?usage: httpd_show CURL_LOG ROOT} root=$2
    echo "---- curl ----"
    grep -E '^(> (GET|Authorization)|< (HTTP|WWW-Authenticate)|\* (Server auth|Connection))' "$curl_log" |
        sed -E 's/(Negotiate [A-Za-z0-9+\/]{24})[A-Za-z0-9+\/=]+/\1.../' || true
    echo "---- access.log ----"
    cat "$root/logs/access.log"
    echo "---- error.log (auth_gssapi) ----"
    grep -E 'auth_gssapi|GSS' "$root/logs/error.log" | tail -n 20 || true
}
