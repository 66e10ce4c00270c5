#!/usr/bin/env python3
"""Health of Bikestore's nats-server nodes and their JetStream streams, from the monitoring ports.

`just status` and `just up` run it; so does tests/nats_status_report.rs, against a testkit cluster.
Each node is given as NAME=[HOST:]PORT, its server name and monitoring port (HOST defaults to
127.0.0.1):

    python3 nats/status.py report bikestore-1=8222 bikestore-2=8223 bikestore-3=8224
    python3 nats/status.py wait --timeout 60 bikestore-1=8222 bikestore-2=8223 bikestore-3=8224

`report` prints each node's health (/healthz, /varz: up or down, connections, the JetStream meta
leader), then each stream and key-value bucket with its leader and replicas (/jsz). Only a
stream's leader knows whether its replicas are current or how far behind they are, so those come
from the leader's own report; when no node that answers leads a stream, its replicas are shown as
their nodes' health. A single node leads every stream and has no replicas.

`wait` returns once every node's /healthz answers ok (it listens, and JetStream is current with
the meta leader and has recovered its streams), or fails with each node's last answer after the
timeout. It uses only the standard library, so it runs wherever Python 3 does.
"""

import argparse
import json
import sys
import time
import urllib.error
import urllib.request

# How long one HTTP request to a node may take: a node that does not answer that fast is down.
REQUEST_TIMEOUT_SECONDS = 2
# How often `wait` asks again.
POLL_INTERVAL_SECONDS = 0.2
# nats-server names a key-value bucket's stream KV_<bucket>.
BUCKET_STREAM_PREFIX = "KV_"


class Node:
    """One node as given on the command line, and what its monitoring port answered."""

    def __init__(self, spec):
        name, separator, address = spec.partition("=")
        if not separator or not name or not address:
            raise ValueError(f"a node is NAME=[HOST:]PORT, not {spec!r}")
        host, _, port = address.rpartition(":")
        if not port.isdigit():
            raise ValueError(f"{spec!r} has no port number")
        self.name = name
        self.base_url = f"http://{host or '127.0.0.1'}:{port}"
        self.health = None  # /healthz's answer: {"status": ..., "error": ...}
        self.server = None  # /varz
        self.jetstream = None  # /jsz
        self.failure = None  # why the node could not be asked, when it could not

    @property
    def is_up(self):
        return self.failure is None

    def get(self, path):
        """The JSON answer at `path`; an error status's JSON body too (/healthz answers 503)."""
        try:
            url = self.base_url + path
            with urllib.request.urlopen(url, timeout=REQUEST_TIMEOUT_SECONDS) as answer:
                return json.load(answer)
        except urllib.error.HTTPError as error:
            return json.load(error)

    def probe_health(self):
        try:
            self.health = self.get("/healthz")
            self.failure = None
        except (OSError, ValueError) as error:
            self.failure = f"no answer on {self.base_url} ({reason(error)})"

    def probe_everything(self):
        self.probe_health()
        if not self.is_up:
            return
        try:
            self.server = self.get("/varz")
            self.jetstream = self.get("/jsz?accounts=true&streams=true&config=true")
        except (OSError, ValueError) as error:
            self.failure = f"stopped answering on {self.base_url} ({reason(error)})"

    def health_text(self):
        if self.health.get("status") == "ok":
            return "healthy"
        return f"unhealthy: {self.health.get('error') or self.health.get('status')}"

    def streams(self):
        """Every stream this node holds a replica of, across accounts."""
        for account in (self.jetstream or {}).get("account_details") or []:
            yield from account.get("stream_detail") or []


def reason(error):
    if isinstance(error, urllib.error.URLError):
        return str(error.reason)
    return str(error)


def stream_label(name):
    if name.startswith(BUCKET_STREAM_PREFIX):
        return f"bucket {name[len(BUCKET_STREAM_PREFIX):]}"
    return name


def meta_leader(nodes):
    """The JetStream meta leader, as it reports itself: another node's word may be out of date."""
    for node in nodes:
        meta_cluster = (node.jetstream or {}).get("meta_cluster") or {}
        if node.is_up and meta_cluster.get("leader") == node.name:
            return node.name
    return None


def replica_text(replica, nodes_by_name):
    """A replica's state as its stream's leader sees it."""
    name = replica.get("name", "?")
    node = nodes_by_name.get(name)
    if node is not None and not node.is_up:
        return f"{name} down"
    if replica.get("offline"):
        return f"{name} offline"
    if replica.get("current"):
        return f"{name} current"
    if replica.get("lag"):
        return f"{name} behind by {replica['lag']} operations"
    return f"{name} not current"


def describe_stream(reports, nodes_by_name):
    """(leader text, replicas text) for one stream, from every answering node's report of it."""
    leader_report = next(
        (
            report
            for node_name, report in reports
            if (report.get("cluster") or {}).get("leader") == node_name
        ),
        None,
    )
    if leader_report is not None:
        cluster = leader_report["cluster"]
        replicas = [replica_text(replica, nodes_by_name) for replica in cluster.get("replicas", [])]
        return cluster["leader"], ", ".join(replicas) or "none"
    # No answering node leads it: name the replicas the others know of, with their nodes' health.
    holders = sorted({node_name for node_name, _ in reports})
    for _, report in reports:
        for replica in (report.get("cluster") or {}).get("replicas") or []:
            holders.append(replica.get("name", "?"))
    replicas = []
    for name in dict.fromkeys(holders):
        node = nodes_by_name.get(name)
        if node is None:
            replicas.append(f"{name} unknown")
        else:
            replicas.append(f"{name} {'up' if node.is_up else 'down'}")
    named_leaders = {(report.get("cluster") or {}).get("leader") for _, report in reports}
    down_leaders = sorted(
        name for name in named_leaders if name in nodes_by_name and not nodes_by_name[name].is_up
    )
    if down_leaders:
        return f"none ({down_leaders[0]}, its leader, is down)", ", ".join(replicas)
    return "none (electing)", ", ".join(replicas)


def report(nodes):
    for node in nodes:
        node.probe_everything()
    lines = ["NATS nodes"]
    leader = meta_leader(nodes)
    for node in nodes:
        if not node.is_up:
            lines.append(f"  {node.name:<14} down  {node.failure}")
            continue
        server = node.server or {}
        details = [node.health_text(), f"{server.get('connections', '?')} connections"]
        if server.get("server_name", node.name) != node.name:
            details.append(f"server name {server.get('server_name')}")
        if leader == node.name:
            details.append("JetStream meta leader")
        lines.append(f"  {node.name:<14} up    " + ", ".join(details))
    if len(nodes) > 1 and any(node.is_up for node in nodes) and leader is None:
        lines.append("  no JetStream meta leader: the nodes that answer are electing one")

    reports_by_stream = {}
    for node in nodes:
        for stream in node.streams():
            reports_by_stream.setdefault(stream["name"], []).append((node.name, stream))
    nodes_by_name = {node.name: node for node in nodes}
    lines.append("")
    if not any(node.is_up for node in nodes):
        lines.append("Streams and buckets: no node answers")
    elif not reports_by_stream:
        lines.append("Streams and buckets: none yet")
    else:
        if not all(node.is_up for node in nodes):
            lines.append("(a stream whose every replica is on a node that is down is not listed)")
        rows = []
        for name in sorted(reports_by_stream):
            reports = reports_by_stream[name]
            leader_text, replicas_text = describe_stream(reports, nodes_by_name)
            messages = max(report.get("state", {}).get("messages", 0) for _, report in reports)
            rows.append(("  " + stream_label(name), leader_text, str(messages), replicas_text))
        rows.insert(0, ("Streams and buckets", "leader", "messages", "replicas"))
        widths = [max(len(row[column]) for row in rows) for column in range(3)]
        for first, leader_text, messages, replicas_text in rows:
            columns = f"{first:<{widths[0]}}  {leader_text:<{widths[1]}}  {messages:>{widths[2]}}"
            lines.append(f"{columns}  {replicas_text}")
    print("\n".join(lines))
    return 0


def wait(nodes, timeout_seconds):
    deadline = time.monotonic() + timeout_seconds
    while True:
        waiting = []
        for node in nodes:
            node.probe_health()
            if not node.is_up:
                waiting.append(f"{node.name}: {node.failure}")
            elif node.health.get("status") != "ok":
                waiting.append(f"{node.name}: {node.health_text()}")
        if not waiting:
            return 0
        if time.monotonic() >= deadline:
            print(f"nats-server was not healthy within {timeout_seconds} s:", file=sys.stderr)
            for line in waiting:
                print(f"  {line}", file=sys.stderr)
            return 1
        time.sleep(POLL_INTERVAL_SECONDS)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("report", help="print the nodes' health, the streams' leaders and replicas")
    waiting = commands.add_parser("wait", help="wait until every node's /healthz answers ok")
    waiting.add_argument("--timeout", type=float, default=60, help="seconds (default 60)")
    for command in commands.choices.values():
        command.add_argument("nodes", nargs="+", metavar="NAME=[HOST:]PORT")
    arguments = parser.parse_args()
    try:
        nodes = [Node(spec) for spec in arguments.nodes]
    except ValueError as error:
        parser.error(str(error))
    if arguments.command == "wait":
        return wait(nodes, arguments.timeout)
    return report(nodes)


if __name__ == "__main__":
    sys.exit(main())
