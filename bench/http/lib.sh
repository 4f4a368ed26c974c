# Sourced by the HTTP benchmark scripts: waiting for a server's port and
# nginx's configuration.

# wait_port PORT [TRIES]: until 127.0.0.1:PORT accepts (TRIES times 0.05 s,
# 100 unless given); says so and fails otherwise.
wait_port() {
  for _ in $(seq 1 "${2:-100}"); do
    (exec 3<> "/dev/tcp/127.0.0.1/$1") 2> /dev/null && return 0
    sleep 0.05
  done
  echo "server on $1 did not start" >&2
  return 1
}

# nginx_conf DIR PORT [WORKERS] [SLOTS]: prints bench/http/nginx.conf for
# PORT with DIR as its prefix, WORKERS workers (1: no master process)
# and SLOTS connection slots per worker.
nginx_conf() {
  local workers=${3:-1}
  sed -e "s|PREFIX|$1|g" -e "s|PORT|$2|" \
    -e "s|worker_processes 1;|worker_processes $workers;|" \
    -e "s|worker_connections [0-9]*;|worker_connections ${4:-16384};|" \
    "$(dirname "${BASH_SOURCE[0]}")/nginx.conf" |
    if [ "$workers" -gt 1 ]; then cat; else
      sed 's/^daemon off;/daemon off;\nmaster_process off;/'
    fi
}
