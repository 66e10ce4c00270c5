# Bikestore developer tasks: run the system locally, test, lint.
#
# `just up` starts nats-server, every service, and a Litestream beside each service with a
# database (replicating it into a NATS object store bucket), in the background, with all state
# under the data directory; `just down` stops them; `just restore-db <service>` rebuilds a lost
# database from its replica; `just backup` takes a backup of the whole running system, `just
# backups` lists them and `just restore <dir>` restores one into an empty data folder. Settings
# come from the environment:
#   BIKESTORE_DATA_DIR        data directory (default .data, relative to this file)
#   BIKESTORE_NATS_PORT       nats-server client port (default 4222)
#   BIKESTORE_NATS_NODES      1 (default): one nats-server; 3: a 3-node JetStream cluster, whose
#                             node i (1 to 3) takes client port BIKESTORE_NATS_PORT + i - 1
#   BIKESTORE_SUBJECT_PREFIX  subject prefix the services use (default bikestore)
#   BIKESTORE_BACKUP_DIR      where `just backup` writes and `just backups` looks (default backups,
#                             relative to this file; keep it off the data folder's disk)
#   BIKESTORE_DURABILITY      durability profile: default (survives any process crash) or durable
#                             (also power loss: JetStream fsyncs every write, SQLite synchronous=FULL)
# A node's route port is 2000 above its client port and its monitoring port (/healthz, /jsz, which
# `just status` reads) 4000 above: 4222, 6222 and 8222 by default, nats-server's customary ports.
# Each service serves Prometheus metrics on 127.0.0.1, 5000 above the client port plus its place
# in start order: 9222 (identity), 9223 (inventory), 9224 (orders), 9225 (notifications), 9226
# (orchestrator), 9227 (gateway) by default.
#
# nats-server refuses clients without credentials. The first `up` writes a credentials file per NATS
# user (nats/users.conf) to <data>/credentials/<user>.creds, one line user:password, mode 0600;
# services use their own, operators' tools `ops.creds`. Consoles and the CLI need none: each
# connects with its session key, and identity's auth callout decides what it may do (the server
# trusts the issuer key `bikestore-identity callout-issuer` makes under <data>/identity/).

set shell := ["bash", "-euo", "pipefail", "-c"]

data_dir := env("BIKESTORE_DATA_DIR", ".data")
nats_port := env("BIKESTORE_NATS_PORT", "4222")
prefix := env("BIKESTORE_SUBJECT_PREFIX", "bikestore")
durability := env("BIKESTORE_DURABILITY", "default")
nats_nodes := env("BIKESTORE_NATS_NODES", "1")

# The nats-server configuration (under nats/) of each durability profile, for one node or for each
# node of the cluster.
nats_conf := if nats_nodes == "3" { if durability == "durable" { "nats/cluster-durable.conf" } else { "nats/cluster.conf" } } else if durability == "durable" { "nats/server-durable.conf" } else { "nats/server.conf" }

# Every service, in start order; each is the binary target/release/bikestore-<name>.
all_services := "identity inventory orders notifications orchestrator gateway"

# The services `up` starts: all, unless overridden (`just services= up` starts nats-server
# alone, as `restore` does).
services := all_services

# The NATS users of nats/users.conf (one per service, operators, and each database replica's
# Litestream); each gets a credentials file, and nats-server refuses to start unless each has a
# password.
nats_users := "identity inventory orders notifications orchestrator gateway ops identity_replica inventory_replica orders_replica notifications_replica"

# The services that keep a SQLite database (contracts' SERVICES_WITH_DATABASE): `up` runs a
# Litestream beside each, replicating it into its NATS object store bucket.
replicated := "identity inventory orders notifications"

# The user the cluster's nodes authenticate their routes to each other with (nats/cluster-node.conf);
# it gets a credentials file like the NATS users, though no client uses it.
nats_route_user := "route"

# The services whose binaries have a `seed` subcommand that loads demo data.
seeded := "identity inventory orders"

data := join(justfile_directory(), data_dir)
backups := join(justfile_directory(), env("BIKESTORE_BACKUP_DIR", "backups"))
release_dir := join(justfile_directory(), "target", "release")

# Shell helpers shared by the recipes below (each recipe runs in its own shell).
_helpers := "data=" + quote(data) + "\nrelease_dir=" + quote(release_dir) + "\nseeded_services=" + quote(seeded) + "\nall_services=" + quote(all_services) + "\nnats_users=" + quote(nats_users) + "\nnats_route_user=" + quote(nats_route_user) + "\nnats_nodes=" + quote(nats_nodes) + "\nnats_port=" + quote(nats_port) + "\nprefix=" + quote(prefix) + "\n" + '''
run_dir="$data/run"
log_dir="$data/logs"
credentials_dir="$data/credentials"

# The packages every recipe builds for release, always the same set (so the crates they share
# are built one way): every service and the backup tool.
release_packages() {
    local name
    for name in $all_services; do printf -- '-p\nbikestore-%s\n' "$name"; done
    printf -- '-p\nbikestore-backup\n'
}

# Writes run/litestream-<service>.yml, the Litestream configuration that replicates the
# service's database into its bucket (the binary prints it: `bikestore-<service> replica-config`),
# and prints its path. $2 is the NATS URL to replicate to.
write_replica_config() {
    local name="$1" url="$2" config="$run_dir/litestream-$1.yml"
    mkdir -p "$run_dir"
    "$release_dir/bikestore-$name" replica-config --nats-url "$url" --subject-prefix "$prefix" \
        --data-dir "$data" >"$config.tmp"
    mv "$config.tmp" "$config"
    printf '%s\n' "$config"
}

# Exports the password of <service>_replica, the NATS user the service's Litestream connects as,
# where its configuration reads it (never on a command line).
export_replica_password() {
    local line
    line="$(head -n 1 "$credentials_dir/$1_replica.creds")"
    export BIKESTORE_NATS_REPLICA_PASSWORD="${line#*:}"
}

# Writes a credentials file (one line user:password, mode 0600) for each NATS user that has none
# yet. A password is 32 random letters and digits, the first a letter: nats-server reads the
# environment variable that carries it as a configuration value, so all digits would be a number.
ensure_credentials() {
    local user file random letters password
    mkdir -p -m 0700 "$credentials_dir"
    chmod 0700 "$credentials_dir"
    for user in $nats_users $nats_route_user; do
        file="$credentials_dir/$user.creds"
        [[ -s "$file" ]] && continue
        random="$(head -c 1024 /dev/urandom | LC_ALL=C tr -dc 'A-Za-z0-9')"
        letters="$(head -c 1024 /dev/urandom | LC_ALL=C tr -dc 'A-Za-z')"
        password="${letters:0:1}${random:0:31}"
        [[ ${#password} -eq 32 ]] || { echo "could not generate a password for $user" >&2; return 1; }
        (umask 077 && printf '%s:%s\n' "$user" "$password" >"$file.tmp" && mv "$file.tmp" "$file")
        echo "generated NATS credentials for $user ($file)"
    done
}

# Exports BIKESTORE_NATS_PASSWORD_<USER> for every NATS user and the route user, from its
# credentials file, for the nats-server started next (in the environment, never on a command line).
export_nats_passwords() {
    local user line
    for user in $nats_users $nats_route_user; do
        line="$(head -n 1 "$credentials_dir/$user.creds")"
        export "BIKESTORE_NATS_PASSWORD_${user^^}=${line#*:}"
    done
}

# Prints the pid recorded in run/<name>.pid when that process is alive and its command line still
# contains $2 (a stale pid may have been reused by an unrelated process); fails otherwise.
live_pid() {
    local name="$1" program="$2" pid_file="$run_dir/$1.pid" pid
    [[ -r "$pid_file" ]] || return 1
    pid="$(<"$pid_file")"
    [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
    if [[ -r "/proc/$pid/cmdline" ]] && ! tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$program"; then
        return 1
    fi
    printf '%s\n' "$pid"
}

# Fails with a message unless BIKESTORE_NATS_NODES and BIKESTORE_NATS_PORT are usable.
check_nats_settings() {
    case "$nats_nodes" in
        1 | 3) ;;
        *) echo "BIKESTORE_NATS_NODES must be 1 (one nats-server) or 3 (a 3-node JetStream cluster), not $nats_nodes" >&2; return 1 ;;
    esac
    if ! [[ "$nats_port" =~ ^[1-9][0-9]{0,4}$ ]] || ((nats_port + nats_nodes - 1 + 4000 > 65535)); then
        echo "BIKESTORE_NATS_PORT must be a port from 1 to $((65535 - 4000 - nats_nodes + 1)) (the monitoring port is 4000 above it), not $nats_port" >&2
        return 1
    fi
    if ((nats_port + 5005 > 65535)); then
        echo "BIKESTORE_NATS_PORT must be at most 60530 (the services' metrics ports are 5000 to 5005 above it), not $nats_port" >&2
        return 1
    fi
}

# Node $1 (1 to $2) of a deployment of $2 nodes: its name in run/ and logs/ (nats, or nats-1 to
# nats-3), its server name, what its command line contains (for live_pid), and its ports. Node i
# listens for clients on BIKESTORE_NATS_PORT + i - 1, for routes 2000 above and for monitoring
# 4000 above that.
node_file_name() { if (($2 == 1)); then echo nats; else echo "nats-$1"; fi; }
node_server_name() { if (($2 == 1)); then echo bikestore; else echo "bikestore-$1"; fi; }
node_program() { if (($2 == 1)); then echo nats/server; else echo nats/cluster; fi; }
client_port() { echo $((nats_port + $1 - 1)); }
route_port() { echo $((nats_port + $1 - 1 + 2000)); }
monitor_port() { echo $((nats_port + $1 - 1 + 4000)); }
# Service $1 serves Prometheus metrics on 127.0.0.1 at BIKESTORE_NATS_PORT + 5000 + its place in
# all_services (from 0): 9222 (identity) to 9227 (gateway) by default.
metrics_port() {
    local index=0 service
    for service in $all_services; do
        if [[ "$service" == "$1" ]]; then echo $((nats_port + 5000 + index)); return; fi
        index=$((index + 1))
    done
    echo "no metrics port for $1" >&2
    return 1
}

# How many nodes this deployment runs (1 or 3): those that run, else those that left pid files
# behind, else BIKESTORE_NATS_NODES; so `status`, `down` and `cli` need not be told.
nats_layout() {
    local node
    if live_pid nats nats/server >/dev/null; then echo 1; return; fi
    for node in 1 2 3; do
        if live_pid "nats-$node" nats/cluster >/dev/null; then echo 3; return; fi
    done
    if compgen -G "$run_dir/nats-[123].pid" >/dev/null; then echo 3; return; fi
    if [[ -e "$run_dir/nats.pid" ]]; then echo 1; return; fi
    echo "$nats_nodes"
}

# The client URLs of a deployment of $1 nodes, comma-separated, as --nats-url takes them.
nats_urls() {
    local node urls=()
    for ((node = 1; node <= $1; node++)); do urls+=("nats://127.0.0.1:$(client_port "$node")"); done
    (IFS=, && echo "${urls[*]}")
}

# Each of nodes $2... (of a deployment of $1) as nats/status.py takes it: server-name=monitoring-port.
status_arguments() {
    local nodes="$1" node
    shift
    for node in "$@"; do echo "$(node_server_name "$node" "$nodes")=$(monitor_port "$node")"; done
}

# Succeeds when something accepts TCP connections on 127.0.0.1:$1.
port_open() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Stops run/<name>.pid's process: SIGTERM, up to 10 s to exit, then SIGKILL.
stop() {
    local name="$1" program="$2" pid
    if pid="$(live_pid "$name" "$program")"; then
        echo "stopping $name (pid $pid)"
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 100); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            echo "$name did not stop within 10 s; killing it"
            kill -KILL "$pid" 2>/dev/null || true
        fi
    else
        echo "$name is not running"
    fi
    rm -f "$run_dir/$name.pid"
}

# Loads the demo data into each seeded service's database at scale $1 (a no-op where it already
# has data) and records that in $data/seeded. The binaries must be built. Seeding writes the
# databases directly, so it refuses to run while one of those services is running.
seed_services() {
    local scale="$1" pid name
    for name in $seeded_services; do
        if pid="$(live_pid "$name" "bikestore-$name")"; then
            echo "$name is running (pid $pid); seeding writes its database directly, so stop it first: just down" >&2
            return 1
        fi
    done
    mkdir -p "$data"
    for name in $seeded_services; do
        "$release_dir/bikestore-$name" seed --data-dir "$data" --scale "$scale"
    done
    touch "$data/seeded"
}
'''

# List the recipes.
default:
    @{{ quote(just_executable()) }} --list --justfile {{ quote(justfile()) }}

# Print the path of a usable nats-server, installing the pinned version into .tools/ if needed.
nats-server:
    @nats/ensure-nats-server.sh

# Print the path of a usable litestream (0.5), installing the pinned version into .tools/ if needed.
litestream:
    @nats/ensure-litestream.sh

# Build every binary with the release profile.
build:
    cargo build --profile release --bins

# Start nats-server and the services in the background; the first start seeds demo data before them.
up:
    #!/usr/bin/env bash
    set -euo pipefail
    {{ _helpers }}
    mkdir -p "$run_dir" "$log_dir" "$data/nats"
    case {{ quote(durability) }} in
        default | durable) ;;
        *) echo "BIKESTORE_DURABILITY must be default or durable, not {{ durability }}" >&2; exit 1 ;;
    esac
    check_nats_settings
    # The single node and the cluster keep separate stores; one at a time.
    if ((nats_nodes == 3)) && pid="$(live_pid nats nats/server)"; then
        echo "a single nats-server runs (pid $pid); 'just down' first to start the 3-node cluster" >&2
        exit 1
    fi
    for node in 1 2 3; do
        if ((nats_nodes == 1)) && pid="$(live_pid "nats-$node" nats/cluster)"; then
            echo "the 3-node cluster runs (nats-$node, pid $pid); 'just down' first to start a single nats-server, or keep the cluster with BIKESTORE_NATS_NODES=3" >&2
            exit 1
        fi
    done
    nats="$(nats/ensure-nats-server.sh)"
    litestream="$(nats/ensure-litestream.sh)"
    ensure_credentials
    mapfile -t packages < <(release_packages)
    cargo build --profile release "${packages[@]}"
    # The account key identity signs consoles' NATS permissions with; nats-server trusts its
    # public key. Made on the first start, kept with identity's signing keys.
    callout_issuer="$({{ quote(release_dir) }}/bikestore-identity callout-issuer --data-dir "$data")"

    conf={{ quote(nats_conf) }}
    if [[ {{ quote(prefix) }} != bikestore ]]; then
        # nats/users.conf names the default prefix's subjects; run a copy of the configs that
        # names this prefix's (under run/nats/, so the checks on the command line still hold).
        [[ {{ quote(prefix) }} =~ ^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$ ]] || {
            echo "BIKESTORE_SUBJECT_PREFIX must be dot-separated letters, digits, '-' and '_'" >&2; exit 1; }
        mkdir -p "$run_dir/nats"
        cp nats/server.conf nats/server-durable.conf nats/cluster.conf nats/cluster-durable.conf \
            nats/cluster-node.conf "$run_dir/nats/"
        # Subjects start `"bikestore.`; stream names follow `.BIKESTORE_` in JetStream API
        # subjects (never the `$BIKESTORE_` password variables); the saga bucket is
        # `<prefix>_sagas` (lower case), its stream `KV_<prefix>_sagas`.
        streams="$(printf '%s' {{ quote(prefix) }} | tr '.-' '__' | tr '[:lower:]' '[:upper:]')"
        bucket="$(printf '%s' "$streams" | tr '[:upper:]' '[:lower:]')_sagas"
        # The database replica buckets are `<prefix>_db_<service>` (lower case).
        replicas="$(printf '%s' "$streams" | tr '[:upper:]' '[:lower:]')_db_"
        sed -e 's|"bikestore\.|"'{{ quote(prefix) }}'.|g' \
            -e 's|bikestore_db_|'"$replicas"'|g' \
            -e 's|\.BIKESTORE_|.'"$streams"'_|g' \
            -e 's|KV_sagas|KV_'"$bucket"'|g' \
            -e 's|\$KV\.sagas\.|$KV.'"$bucket"'.|g' \
            nats/users.conf >"$run_dir/nats/users.conf"
        conf="$run_dir/$conf"
    fi
    other_port={{ if nats_port == "4333" { "4433" } else { "4333" } }}
    # Which nodes to start; every port they need is checked before any starts.
    to_start=()
    for ((node = 1; node <= nats_nodes; node++)); do
        name="$(node_file_name "$node" "$nats_nodes")"
        port="$(client_port "$node")"
        if pid="$(live_pid "$name" "$(node_program "$node" "$nats_nodes")")"; then
            if ! tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- {{ quote(nats_conf) }}; then
                echo "$name (pid $pid) runs another durability profile's configuration; 'just down' first to switch to {{ durability }}" >&2
                exit 1
            fi
            echo "$name already running (pid $pid) on port $port"
            continue
        fi
        ports=("$port" "$(monitor_port "$node")")
        ((nats_nodes == 1)) || ports+=("$(route_port "$node")")
        for taken in "${ports[@]}"; do
            if port_open "$taken"; then
                echo "port $taken (of $name: client port $port, route port 2000 above, monitoring 4000 above) is in use by another program, not a nats-server started by 'just up'." >&2
                echo "Pick another port, for example: BIKESTORE_NATS_PORT=$other_port just up" >&2
                exit 1
            fi
        done
        to_start+=("$node")
    done
    for node in "${to_start[@]}"; do
        name="$(node_file_name "$node" "$nats_nodes")"
        port="$(client_port "$node")"
        store="$data/nats"
        ((nats_nodes == 1)) || store="$data/nats/node-$node"
        mkdir -p "$store"
        echo "starting $name on port $port, durability {{ durability }} (log: $log_dir/$name.log)"
        (
            export_nats_passwords
            # Nobody: a client without credentials is refused.
            export BIKESTORE_NATS_ANONYMOUS_USER='""'
            export BIKESTORE_NATS_PORT="$port" BIKESTORE_NATS_MONITOR_PORT="$(monitor_port "$node")"
            export BIKESTORE_NATS_STORE="$store" BIKESTORE_NATS_CALLOUT_ISSUER="$callout_issuer"
            if ((nats_nodes > 1)); then
                export BIKESTORE_NATS_NODE_NAME="$(node_server_name "$node" "$nats_nodes")"
                export BIKESTORE_NATS_HOST=127.0.0.1 BIKESTORE_NATS_CLUSTER_PORT="$(route_port "$node")"
                for ((peer = 1; peer <= nats_nodes; peer++)); do
                    export "BIKESTORE_NATS_ROUTE_$peer=nats-route://{{ nats_route_user }}:$BIKESTORE_NATS_PASSWORD_ROUTE@127.0.0.1:$(route_port "$peer")"
                done
            fi
            exec nohup "$nats" -c "$conf" -l "$log_dir/$name.log" </dev/null >>"$log_dir/$name.out" 2>&1
        ) &
        echo $! >"$run_dir/$name.pid"
    done
    for node in "${to_start[@]}"; do
        name="$(node_file_name "$node" "$nats_nodes")"
        port="$(client_port "$node")"
        for _ in $(seq 100); do
            port_open "$port" && break
            if ! kill -0 "$(<"$run_dir/$name.pid")" 2>/dev/null; then
                echo "$name exited while starting:" >&2
                tail -n 20 "$log_dir/$name.out" "$log_dir/$name.log" >&2 2>/dev/null || true
                rm -f "$run_dir/$name.pid"
                exit 1
            fi
            sleep 0.1
        done
        port_open "$port" || { echo "$name did not accept connections within 10 s; see $log_dir/$name.log" >&2; exit 1; }
    done
    # Accepting connections is not enough: JetStream answers once the nodes have elected their
    # meta leader and each has recovered its streams, which /healthz reports.
    if ((${#to_start[@]} > 0)); then
        python3 nats/status.py wait --timeout 60 $(status_arguments "$nats_nodes" "${to_start[@]}") || {
            echo "see $log_dir/nats*.log" >&2; exit 1; }
    fi

    services=({{ services }})
    [[ ${#services[@]} -gt 0 ]] || exit 0

    # A database that was replicated (its Litestream configuration is here) but is gone (its
    # disk lost) is rebuilt from its replica, never started empty: an empty database would
    # become the replica's newest state.
    for name in {{ replicated }}; do
        if [[ -e "$run_dir/litestream-$name.yml" && ! -e "$data/$name/$name.db" ]]; then
            echo "the $name database ($data/$name/$name.db) is missing; rebuild it from its replica: just restore-db $name" >&2
            exit 1
        fi
    done

    # First start: load the demo data before any service opens the database.
    if [[ ! -e "$data/seeded" ]]; then
        seed_services 1 || echo "not seeding demo data now (run 'just down', then 'just seed')"
    fi

    for name in "${services[@]}"; do
        binary={{ quote(release_dir) }}/"bikestore-$name"
        if pid="$(live_pid "$name" "bikestore-$name")"; then
            if [[ "$(readlink "/proc/$pid/exe" 2>/dev/null)" == *" (deleted)" ]]; then
                echo "$name already running (pid $pid), but from an older build; 'just down' then 'just up' restarts it"
            else
                echo "$name already running (pid $pid)"
            fi
            continue
        fi
        if [[ ! -x "$binary" ]]; then
            echo "$binary was not built; does services/$name define a bikestore-$name binary?" >&2
            exit 1
        fi
        echo "starting $name (log: $log_dir/$name.out)"
        # Every stream and bucket a service creates gets one replica per node.
        BIKESTORE_NATS_CREDENTIALS="$credentials_dir/$name.creds" BIKESTORE_JS_REPLICAS="$nats_nodes" \
            BIKESTORE_METRICS_ADDR="127.0.0.1:$(metrics_port "$name")" \
            nohup "$binary" --nats-url "$(nats_urls "$nats_nodes")" --data-dir "$data" --subject-prefix {{ quote(prefix) }} \
            --durability {{ quote(durability) }} \
            </dev/null >>"$log_dir/$name.out" 2>&1 &
        echo $! >"$run_dir/$name.pid"
    done

    for name in "${services[@]}"; do
        binary={{ quote(release_dir) }}/"bikestore-$name"
        if ! "$binary" ping --nats-url "$(nats_urls "$nats_nodes")" --nats-credentials "$credentials_dir/$name.creds" --timeout-ms 10000; then
            echo "$name was not ready within 10 s; its log:" >&2
            tail -n 30 "$log_dir/$name.out" >&2 || true
            exit 1
        fi
        echo "$name is ready"
    done

    # Each database's replica: Litestream beside its service (which made the bucket at start).
    for name in {{ replicated }}; do
        config="$run_dir/litestream-$name.yml"
        if pid="$(live_pid "litestream-$name" "litestream-$name.yml")"; then
            echo "litestream-$name already running (pid $pid)"
            continue
        fi
        write_replica_config "$name" "$(nats_urls "$nats_nodes")" >/dev/null
        echo "starting litestream-$name, replicating the $name database (log: $log_dir/litestream-$name.out)"
        (
            export_replica_password "$name"
            exec nohup "$litestream" replicate -config "$config" </dev/null >>"$log_dir/litestream-$name.out" 2>&1
        ) &
        echo $! >"$run_dir/litestream-$name.pid"
    done

# Stop the services (SIGTERM, then SIGKILL after 10 s), then nats-server (every node of a cluster).
down:
    #!/usr/bin/env bash
    set -euo pipefail
    {{ _helpers }}
    check_nats_settings
    services=({{ services }})
    for ((i = ${#services[@]} - 1; i >= 0; i--)); do
        stop "${services[i]}" "bikestore-${services[i]}"
    done
    # After the services, so each Litestream ships their last commits as it stops.
    for name in {{ replicated }}; do
        stop "litestream-$name" "litestream-$name.yml"
    done
    nodes="$(nats_layout)"
    for ((node = 1; node <= nodes; node++)); do
        stop "$(node_file_name "$node" "$nodes")" "$(node_program "$node" "$nodes")"
    done

# Show whether nats-server and each service are running, each node's health, each stream's and
# bucket's leader and replicas; then each service's instances and endpoint statistics, each
# durable consumer's lag, and the saga counts (`bikestore-orchestrator health`, as ops).
status:
    #!/usr/bin/env bash
    set -euo pipefail
    {{ _helpers }}
    check_nats_settings
    show() {
        local name="$1" program="$2" detail="${3:-}" pid
        if pid="$(live_pid "$name" "$program")"; then
            printf '%-25s running (pid %s)%s\n' "$name" "$pid" "$detail"
        else
            printf '%-25s stopped\n' "$name"
        fi
    }
    nodes="$(nats_layout)"
    for ((node = 1; node <= nodes; node++)); do
        show "$(node_file_name "$node" "$nodes")" "$(node_program "$node" "$nodes")" " on port $(client_port "$node")"
    done
    for name in {{ services }}; do
        show "$name" "bikestore-$name"
    done
    for name in {{ replicated }}; do
        show "litestream-$name" "litestream-$name.yml" " (replicating the $name database)"
    done
    echo
    report_status=0
    python3 nats/status.py report $(status_arguments "$nodes" $(seq "$nodes")) || report_status=$?
    echo
    health="$release_dir/bikestore-orchestrator"
    if [[ -x "$health" ]]; then
        "$health" health --nats-url "$(nats_urls "$nodes")" --nats-credentials "$credentials_dir/ops.creds" \
            --subject-prefix "$prefix" || report_status=$?
    else
        echo "$health was not built (just build): no service statistics, consumer lag or saga counts"
    fi
    exit "$report_status"

# A service's database lost with its disk or machine: rebuild it from the replica in its NATS
# object store bucket, here or on another machine (with the deployment's credentials/ folder and
# BIKESTORE_NATS_URL naming a node of the cluster); then `just up`. README, "Database replicas".
# Rebuild a service's database from its replica (`just restore-db orders`).
restore-db service:
    #!/usr/bin/env bash
    set -euo pipefail
    {{ _helpers }}
    name={{ quote(service) }}
    case " {{ replicated }} " in
        *" $name "*) ;;
        *) echo "$name keeps no database; the services with one are: {{ replicated }}" >&2; exit 1 ;;
    esac
    if pid="$(live_pid "$name" "bikestore-$name")"; then
        echo "$name is running (pid $pid); stop it first: just down" >&2
        exit 1
    fi
    database="$data/$name/$name.db"
    if [[ -e "$database" ]]; then
        echo "$database exists; restore-db only rebuilds a database that is gone (move this one away first if it is damaged)" >&2
        exit 1
    fi
    if [[ ! -s "$credentials_dir/${name}_replica.creds" ]]; then
        echo "no $credentials_dir/${name}_replica.creds: copy the deployment's credentials folder here first" >&2
        exit 1
    fi
    litestream="$(nats/ensure-litestream.sh)"
    # The same packages as `up` builds, so their shared crates are not built a second way.
    mapfile -t packages < <(release_packages)
    cargo build --profile release "${packages[@]}"
    config="$(write_replica_config "$name" "${BIKESTORE_NATS_URL:-$(nats_urls "$(nats_layout)")}")"
    export_replica_password "$name"
    started="$(date +%s%N)"
    "$litestream" restore -config "$config" "$database"
    echo "restored $database from its replica in $((($(date +%s%N) - started) / 1000000)) ms; start it with: just up"

# Take a backup of the running system into `dir` (default: a new folder named after the UTC time
# under BIKESTORE_BACKUP_DIR): the saga records, each service's database, the keys, and every
# event, audit and dead-letter stream, with a manifest. README, "Backup and restore".
# Back up the running system (`just backup` or `just backup /mnt/offsite/monday`).
backup dir="":
    #!/usr/bin/env bash
    set -euo pipefail
    {{ _helpers }}
    check_nats_settings
    target={{ quote(dir) }}
    [[ -n "$target" ]] || target={{ quote(backups) }}/"$(date -u +%Y%m%dT%H%M%SZ)"
    [[ "$target" == /* ]] || target={{ quote(invocation_directory()) }}/"$target"
    mapfile -t packages < <(release_packages)
    cargo build --profile release "${packages[@]}"
    "$release_dir/bikestore-backup" --subject-prefix "$prefix" create "$target" --data-dir "$data" \
        --nats-url "$(nats_urls "$(nats_layout)")" --nats-credentials "$credentials_dir/ops.creds"

# List the backups under BIKESTORE_BACKUP_DIR with their manifests' summaries.
backups:
    #!/usr/bin/env bash
    set -euo pipefail
    {{ _helpers }}
    mapfile -t packages < <(release_packages)
    cargo build --profile release "${packages[@]}"
    "$release_dir/bikestore-backup" list {{ quote(backups) }}

# Restore into an empty data folder: the databases and keys, then (with nats-server started for
# this alone, and stopped after) the streams and saga records; `just up` then finishes every saga
# that was in flight. A backup this build cannot honour (a part missing or damaged, a database
# schema newer than this build's, parts in an unsafe order) is refused before anything is
# written; a restore that fails midway empties the data folder again.
# Restore a backup into an empty data folder (`just restore backups/20261206T210000Z`).
restore dir:
    #!/usr/bin/env bash
    set -euo pipefail
    {{ _helpers }}
    check_nats_settings
    backup={{ quote(dir) }}
    [[ "$backup" == /* ]] || backup={{ quote(invocation_directory()) }}/"$backup"
    if [[ -d "$data" && -n "$(ls -A "$data")" ]]; then
        echo "the data folder $data is not empty: 'just down', then move it away (or set BIKESTORE_DATA_DIR) to restore into an empty one" >&2
        exit 1
    fi
    mapfile -t packages < <(release_packages)
    cargo build --profile release "${packages[@]}"
    "$release_dir/bikestore-backup" --subject-prefix "$prefix" verify "$backup"
    undo() {
        echo "the restore failed; stopping nats-server and emptying $data again" >&2
        {{ quote(just_executable()) }} --justfile {{ quote(justfile()) }} down >/dev/null 2>&1 || true
        rm -rf "${data:?}"/* "${data:?}"/.[!.]* 2>/dev/null || true
    }
    trap undo EXIT
    "$release_dir/bikestore-backup" --subject-prefix "$prefix" restore-files "$backup" --data-dir "$data"
    # nats-server alone: no service may create its streams before the backup's are back.
    {{ quote(just_executable()) }} --justfile {{ quote(justfile()) }} services= up
    "$release_dir/bikestore-backup" --subject-prefix "$prefix" restore-nats "$backup" \
        --nats-url "$(nats_urls "$nats_nodes")" --nats-credentials "$credentials_dir/ops.creds" --js-replicas "$nats_nodes"
    # The demo data must not be loaded over what was restored.
    touch "$data/seeded"
    {{ quote(just_executable()) }} --justfile {{ quote(justfile()) }} down
    trap - EXIT
    echo "restored $backup into $data; 'just up' starts the system and finishes every saga that was in flight"

# Each service also writes JSON lines to logs/<service>.log.<date>, for tools; this shows the readable copy.
# Follow a service's log (`nats` for the nats-server log, every node's of a cluster; `nats-2` for one node's).
logs service="inventory":
    #!/usr/bin/env bash
    set -euo pipefail
    {{ _helpers }}
    service={{ quote(service) }}
    case "$service" in
        nats)
            nodes="$(nats_layout)"
            files=()
            for ((node = 1; node <= nodes; node++)); do files+=("$log_dir/$(node_file_name "$node" "$nodes").log"); done
            ;;
        nats-[123]) files=("$log_dir/$service.log") ;;
        *) files=("$log_dir/$service.out") ;;
    esac
    if [[ ! -e "${files[0]}" ]]; then
        echo "no log ${files[0]} (has 'just up' run? services: {{ services }}, or nats, nats-1 to nats-3)" >&2
        exit 1
    fi
    exec tail -n 50 -F "${files[@]}"

# `just up` seeds at scale 1 on first start; to choose another scale, run this before the first `up`.
# It refuses while a seeded service is running, because it writes the databases directly.
# Fill the inventory and orders databases with demo data (scale multiplies it); a no-op where data exists.
seed scale="1":
    #!/usr/bin/env bash
    set -euo pipefail
    {{ _helpers }}
    scale={{ quote(scale) }}
    # `just seed scale=3` passes "scale=3" positionally; accept it as `just seed 3`.
    scale="${scale#scale=}"
    packages=()
    for name in {{ seeded }}; do packages+=(-p "bikestore-$name"); done
    cargo build --profile release "${packages[@]}"
    seed_services "$scale"

# Builds the `bikestore` binary (release) and runs it against this deployment as a console (its
# NATS connection authorized by identity from the session key), with the arguments as given:
# `just cli orders ls --status pending`, `just cli --help`.
# The session is kept where `bikestore` keeps it (~/.config/bikestore/session.json, or
# BIKESTORE_SESSION_FILE). Exit codes are the CLI's (README, "The bikestore command line").
# Run the bikestore command line against the running system.
[positional-arguments]
cli *args:
    #!/usr/bin/env bash
    set -euo pipefail
    {{ _helpers }}
    check_nats_settings
    cargo build --quiet --profile release -p bikestore-tui --bin bikestore
    exec {{ quote(release_dir) }}/bikestore \
        --nats-url "$(nats_urls "$(nats_layout)")" --subject-prefix {{ quote(prefix) }} "$@"

# The console uses the session `just login` keeps, or asks for a login; NO_COLOR=1 drops colours.
# Open the staff console against the running system (keys and screens: README, "The staff console").
tui: cli

# Log in as a member of staff (password prompted; demo logins in the README).
login user: (cli "login" user)

# Show who is logged in.
whoami: (cli "whoami")

# End the session.
logout: (cli "logout")

# List sagas, optionally only those in one state: `just sagas stuck` (managers and admins).
sagas state="":
    @{{ quote(just_executable()) }} --justfile {{ quote(justfile()) }} cli sagas ls {{ if state == "" { "" } else { "--state " + quote(state) } }}

# Run every test against a private nats-server per test (with cargo-nextest when installed).
test *args:
    #!/usr/bin/env bash
    set -euo pipefail
    BIKESTORE_NATS_SERVER="$(nats/ensure-nats-server.sh)"
    BIKESTORE_LITESTREAM="$(nats/ensure-litestream.sh)"
    export BIKESTORE_NATS_SERVER BIKESTORE_LITESTREAM
    if cargo nextest --version >/dev/null 2>&1; then
        cargo nextest run --workspace {{ args }}
        # nextest does not run doctests; run them too unless the caller chose what to run.
        if [[ -z "{{ args }}" ]]; then
            cargo test --workspace --doc
        fi
    else
        cargo test --workspace {{ args }}
    fi

# The test suite runs it for 30 s; this runs it for `minutes` (whole minutes) and shows its summary:
# sagas by state, kills and network faults by kind, invariants checked, the longest stall.
# With `--nats-nodes 3` it runs the cluster's chaos instead: a 3-node cluster whose nodes die one
# at a time every 5 to 10 s (the test suite runs it for 45 s).
# Run the chaos test longer: kills, network faults and every invariant (`just chaos 10`, `just chaos --nats-nodes 3 10`).
chaos *args:
    #!/usr/bin/env bash
    set -euo pipefail
    nodes=1
    minutes=2
    set -- {{ args }}
    while [[ $# -gt 0 ]]; do
        case "$1" in
            --nats-nodes) [[ $# -ge 2 ]] || { echo "--nats-nodes needs a number: 1 or 3" >&2; exit 1; }; nodes="$2"; shift 2 ;;
            --nats-nodes=*) nodes="${1#--nats-nodes=}"; shift ;;
            -*) echo "unknown flag $1; usage: just chaos [--nats-nodes 1|3] [minutes]" >&2; exit 1 ;;
            *) minutes="${1#minutes=}"; shift ;;
        esac
    done
    [[ "$minutes" =~ ^[1-9][0-9]*$ ]] || { echo "minutes must be a whole number of minutes, not $minutes" >&2; exit 1; }
    case "$nodes" in
        1) test=sagas_survive_random_kills_and_network_faults_and_every_invariant_holds ;;
        3) test=sagas_survive_cluster_nodes_dying_one_at_a_time_and_every_invariant_holds ;;
        *) echo "--nats-nodes must be 1 or 3, not $nodes" >&2; exit 1 ;;
    esac
    BIKESTORE_NATS_SERVER="$(nats/ensure-nats-server.sh)"
    export BIKESTORE_NATS_SERVER
    export BIKESTORE_CHAOS_SECONDS=$((minutes * 60))
    # The test runs the services' binaries (debug builds, as the test suite does).
    packages=()
    for name in {{ services }}; do packages+=(-p "bikestore-$name"); done
    cargo build --bins "${packages[@]}"
    cargo test -p bikestore-tests --test chaos_place_order -- --nocapture --exact "$test"

# Benchmark the place-order saga against its floor (release build; `just bench --help` for flags).
bench *args:
    #!/usr/bin/env bash
    set -euo pipefail
    BIKESTORE_NATS_SERVER="$(nats/ensure-nats-server.sh)"
    export BIKESTORE_NATS_SERVER
    cargo bench -p bikestore-tests --bench place_order -- {{ args }}

# Takes a backup of a running system after a day of orders (3,000 × scale) and restores it onto a
# fresh nats-server, timing each step until every saga has ended (the recovery time).
# Benchmark backup and restore times (release build; `just bench-backup --scale 10`, `--help` for flags).
bench-backup *args:
    #!/usr/bin/env bash
    set -euo pipefail
    BIKESTORE_NATS_SERVER="$(nats/ensure-nats-server.sh)"
    export BIKESTORE_NATS_SERVER
    cargo bench -p bikestore-tests --bench backup_restore -- {{ args }}

# Benchmark inventory's reserve + commit against its floor.
bench-inventory *args:
    #!/usr/bin/env bash
    set -euo pipefail
    BIKESTORE_NATS_SERVER="$(nats/ensure-nats-server.sh)"
    export BIKESTORE_NATS_SERVER
    cargo bench -p bikestore-inventory --bench reserve_commit -- {{ args }}

# Check formatting and clippy lints, as CI does.
lint:
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets -- -D warnings
