"""The private local Ray a `submit` starts runs with token authentication (token in the home, mode 600): what
listens on the machine's network address refuses a caller without the token, and no dashboard is started.

Ray 2.60 cannot bind its gRPC servers to the loopback interface (it replaces 127.0.0.1 by the machine's address),
so this test checks what does the protecting: the token, asked for by a caller on another address of the machine.
"""

from __future__ import annotations

import json
import os
import socket
import struct
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
CHILD = """
import json, os, sys
from pathlib import Path
from spikesweep.platform.run.ray_runtime import start_ray, stop_ray
assert start_ray(None, Path(sys.argv[1]))
import ray
print(json.dumps({"gcs": ray._private.worker.global_worker.node.gcs_address}), flush=True)
sys.stdin.readline()
stop_ray()
"""


def _address(hexaddr: str) -> tuple[str, int]:
    ip, port = hexaddr.split(":")
    if len(ip) == 8:
        return socket.inet_ntop(socket.AF_INET, struct.pack("<I", int(ip, 16))), int(port, 16)
    raw = bytes.fromhex(ip)
    raw = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
    return socket.inet_ntop(socket.AF_INET6, raw), int(port, 16)


def read_environ(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return b""


def descendants(root_pid: int) -> set[int]:
    """The processes below `root_pid` (not itself)."""
    return process_tree(root_pid) - {root_pid}


def process_tree(root_pid: int) -> set[int]:
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError):
            continue
    tree, grew = {root_pid}, True
    while grew:
        more = {pid for pid, parent in parents.items() if parent in tree} - tree
        tree |= more
        grew = bool(more)
    return tree


def listening_sockets(root_pid: int) -> list[tuple[str, str, int]]:
    """(process name, address, port) of every TCP socket listened on by `root_pid` and its descendants."""
    listening = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A":  # LISTEN
                listening[int(fields[9])] = _address(fields[1])
    found = []
    for pid in process_tree(root_pid):
        try:
            links = [os.readlink(fd) for fd in Path(f"/proc/{pid}/fd").iterdir()]
            name = Path(f"/proc/{pid}/comm").read_text().strip()
        except OSError:
            continue
        for link in links:
            if link.startswith("socket:[") and int(link[8:-1]) in listening:
                found.append((name, *listening[int(link[8:-1])]))
    return found


PROBE = """
import sys
from ray._raylet import GcsClient
try:
    GcsClient(address=sys.argv[1]).get_all_node_info(timeout=10)
    print("OK")
except Exception as error:
    print(type(error).__name__)
"""


def gcs_call(address: str, mode: str, token: str | None) -> str:
    """List the nodes through the GCS at `address` from a fresh process with this auth mode and token."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAY_AUTH")}
    env.update({"RAY_AUTH_MODE": mode, "HOME": "/nonexistent"})  # no ~/.ray/auth_token to fall back on
    if token is not None:
        env["RAY_AUTH_TOKEN"] = token
    result = subprocess.run(
        [sys.executable, "-c", PROBE, address], env=env, capture_output=True, text=True, timeout=120
    )
    return result.stdout.strip().splitlines()[-1] if result.stdout.strip() else result.stderr[-500:]


def test_the_private_local_ray_asks_callers_on_the_network_for_its_token(tmp_path):
    token_path = tmp_path / "home" / "ray_auth_token"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "RAY_AUTH_MODE": "disabled"}  # as CI sets it: overridden
    env["SPIKESWEEP_REGISTRY_URI"] = "postgresql://lab:pw-marker-5e1@db/registry"  # must stay with the driver
    env["AWS_SECRET_ACCESS_KEY"] = "aws-marker-7c2"  # any credential of the user's environment, too
    env.pop("RAY_ADDRESS", None)
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(token_path)],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        line = child.stdout.readline()
        assert line, child.stderr.read()[-3000:]
        gcs = json.loads(line)["gcs"]
        host, port = gcs.rsplit(":", 1)
        assert host not in ("127.0.0.1", "::1", "localhost")  # another address of this machine
        assert oct(token_path.stat().st_mode & 0o777) == "0o600"
        token = token_path.read_text().strip()
        sockets = listening_sockets(child.pid)
        assert ("gcs_server", "::", int(port)) in sockets or any(s[2] == int(port) for s in sockets), sockets
        assert not [s for s in sockets if s[2] in (8265, 52365)], sockets  # no dashboard, no dashboard agent HTTP
        ray_processes = descendants(child.pid)
        assert ray_processes
        assert not [pid for pid in ray_processes if b"pw-marker-5e1" in read_environ(pid)]
        assert not [pid for pid in ray_processes if b"aws-marker-7c2" in read_environ(pid)]
        assert b"aws-marker-7c2" in read_environ(child.pid)  # the driver keeps it (put back after ray.init)
        assert gcs_call(gcs, "disabled", None) == "AuthenticationError"
        assert gcs_call(gcs, "token", "0" * 64) == "AuthenticationError"
        assert gcs_call(gcs, "token", token) == "OK"
    finally:
        if child.poll() is None:
            child.stdin.write("\n")
            child.stdin.flush()
            try:
                child.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, 9)
