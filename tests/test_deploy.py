"""deploy/: what can be checked without a Docker engine (none runs where this was written).

The compose file parses and wires what it should, the Dockerfile's essentials, the entry point
script, the systemd unit (``systemd-analyze verify`` where it is installed; its command exists in the
venv either way) and nginx's configuration (``nginx -t``; skipped without nginx).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

yaml = pytest.importorskip("yaml")  # PyYAML, in the pinned set (schemathesis needs it)

PROJ_ROOT = Path(__file__).resolve().parents[1]
DEPLOY = PROJ_ROOT / "deploy"
UNIT = DEPLOY / "systemd" / "matcher@.service"
#: Where the unit expects the project (its venv in ``.venv``); the tests read it as this checkout.
INSTALLED_AT = "/opt/cluster-matcher"


# -- Docker Compose -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    parsed: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text("utf-8"))
    return parsed


def test_compose_brings_up_postgresql_two_replicas_and_a_proxy(compose):
    services = compose["services"]
    assert services["db"]["image"].startswith("postgres:15")
    replicas = [s for s in services.values() if s.get("build", {}).get("dockerfile") == "deploy/Dockerfile"]
    assert len(replicas) == 2
    for replica in replicas:
        env = replica["environment"]
        assert (
            env["MATCHER_DATABASE_URL"].startswith("postgresql+psycopg://")
            and "@db:5432/" in env["MATCHER_DATABASE_URL"]
        )
        assert "MATCHER_WORKERS" in env and "MATCHER_API_KEY" in env
        assert replica["depends_on"]["db"]["condition"] == "service_healthy"
        assert "ports" not in replica  # only the proxy is reachable from outside
        assert (DEPLOY / replica["build"]["context"]).resolve() == PROJ_ROOT  # the Dockerfile copies from the root
    proxy = services["proxy"]
    assert proxy["image"].startswith("nginx:")
    for volume in proxy["volumes"]:
        assert (DEPLOY / volume.split(":")[0]).is_file(), volume
    assert {name for name, dep in proxy["depends_on"].items() if dep["condition"] == "service_healthy"} == {
        name for name, s in services.items() if s in replicas
    }


def test_the_upstream_names_the_compose_replicas(compose):
    upstream = (DEPLOY / "nginx" / "upstream-compose.conf").read_text("utf-8")
    servers = re.findall(r"^\s*server\s+([\w.-]+):(\d+)", upstream, re.M)
    assert {host for host, _ in servers} == {n for n, s in compose["services"].items() if "build" in s}
    assert {port for _, port in servers} == {"8000"}


# -- the image ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dockerfile() -> list[str]:
    """The Dockerfile's instructions, continuation lines joined, comments left out."""
    text = re.sub(r"\\\n", " ", (DEPLOY / "Dockerfile").read_text("utf-8"))
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def _instructions(lines: list[str], keyword: str) -> list[str]:
    return [line[len(keyword) :].strip() for line in lines if line.split()[0].upper() == keyword]


def test_dockerfile_base_user_and_healthcheck(dockerfile):
    assert _instructions(dockerfile, "FROM") == ["python:3.11-slim"]
    (user,) = _instructions(dockerfile, "USER")
    assert user not in ("root", "0") and not user.startswith("0:")
    (healthcheck,) = _instructions(dockerfile, "HEALTHCHECK")
    assert "/readyz" in healthcheck and "--start-period" in healthcheck
    assert _instructions(dockerfile, "CMD") == ['["matcher", "serve"]']
    assert "MATCHER_WORKERS" in " ".join(_instructions(dockerfile, "ENV"))


def test_dockerfile_installs_the_lock_with_cpu_torch(dockerfile):
    runs = " ".join(_instructions(dockerfile, "RUN"))
    assert "--index-url https://download.pytorch.org/whl/cpu torch==2.13.0" in runs
    assert "pip install -r requirements.lock" in runs
    assert "torch==2.13.0" in (PROJ_ROOT / "requirements.lock").read_text("utf-8").splitlines()


def test_dockerfile_copies_what_exists(dockerfile):
    for copy in _instructions(dockerfile, "COPY"):
        *sources, _ = copy.split()
        for source in sources:
            assert (PROJ_ROOT / source).exists(), source


def test_the_build_context_leaves_out_local_state():
    ignored = (DEPLOY / "Dockerfile.dockerignore").read_text("utf-8").split()
    assert {".venv", "var", ".git", ".env"} <= set(ignored)


def test_the_entrypoint_empties_the_metrics_folder_and_runs_the_command(tmp_path):
    folder = tmp_path / "metrics"
    folder.mkdir()
    (folder / "counter_123.db").write_bytes(b"stale")
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(folder)}
    script = DEPLOY / "docker-entrypoint.sh"
    proc = subprocess.run(
        [
            "sh",
            str(script),
            sys.executable,
            "-c",
            "import os, sys; print(sorted(os.listdir(sys.argv[1])))",
            str(folder),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"
    assert os.access(script, os.X_OK)


# -- systemd --------------------------------------------------------------------------------------


def _unit_values(key: str) -> list[str]:
    return [line.split("=", 1)[1] for line in UNIT.read_text("utf-8").splitlines() if line.startswith(f"{key}=")]


def test_the_units_command_exists_in_the_venv():
    (exec_start,) = _unit_values("ExecStart")
    program, *args = exec_start.split()
    assert program.startswith(f"{INSTALLED_AT}/.venv/bin/")
    local = PROJ_ROOT / program.removeprefix(f"{INSTALLED_AT}/")
    assert os.access(local, os.X_OK), f"{local} is missing: install the project into .venv"
    assert args == ["serve"]
    proc = subprocess.run([str(local), *args, "--help"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "--workers" in proc.stdout


def test_the_unit_gives_each_replica_its_port_and_metrics_folder():
    env = _unit_values("Environment")
    assert "MATCHER_PORT=%i" in env and "MATCHER_HOST=127.0.0.1" in env
    assert "PROMETHEUS_MULTIPROC_DIR=/run/cluster-matcher-%i" in env
    assert _unit_values("RuntimeDirectory") == ["cluster-matcher-%i"]
    assert _unit_values("User") == ["matcher"]


def test_the_upstream_names_the_units_ports():
    upstream = (DEPLOY / "systemd" / "nginx-upstream.conf").read_text("utf-8")
    assert re.findall(r"^\s*server\s+127\.0\.0\.1:(\d+)", upstream, re.M) == ["8001", "8002"]


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_analyze_verifies_the_unit(tmp_path):
    """Verified as installed here: the unit's paths pointed at this checkout, the example settings."""
    text = UNIT.read_text("utf-8").replace(INSTALLED_AT, str(PROJ_ROOT))
    text = text.replace("/etc/cluster-matcher/matcher.env", str(DEPLOY / "systemd" / "matcher.env.example"))
    (tmp_path / UNIT.name).write_text(text, "utf-8")
    proc = subprocess.run(
        ["systemd-analyze", "verify", "matcher@8001.service"], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.strip() == "", proc.stderr  # a line it cannot parse is only a warning there


# -- nginx ----------------------------------------------------------------------------------------


def _nginx() -> str | None:
    return shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.access(p, os.X_OK)), None)


@pytest.mark.skipif(_nginx() is None, reason="nginx is not installed (Debian: apt-get install nginx)")
@pytest.mark.parametrize("upstream", ["systemd/nginx-upstream.conf", "nginx/upstream-compose.conf"])
def test_nginx_accepts_the_configuration(tmp_path, upstream):
    """``nginx -t`` on the site with each upstream file (compose's service names pointed at local ports,
    as nginx resolves them when it reads the file), inside a minimal main configuration."""
    upstream_text = re.sub(
        r"matcher-(\d+):8000", lambda m: f"127.0.0.1:{8000 + int(m[1])}", (DEPLOY / upstream).read_text("utf-8")
    )
    site = (DEPLOY / "nginx" / "cluster-matcher.conf").read_text("utf-8").replace("/var/log/nginx/", f"{tmp_path}/")
    (tmp_path / "upstream.conf").write_text(upstream_text, "utf-8")
    (tmp_path / "site.conf").write_text(site, "utf-8")
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\nhttp {{\n"
        f"    client_body_temp_path {tmp_path}/body;\n    proxy_temp_path {tmp_path}/proxy;\n"
        f"    include {tmp_path}/upstream.conf;\n    include {tmp_path}/site.conf;\n}}\n",
        "utf-8",
    )
    proc = subprocess.run(
        [str(_nginx()), "-t", "-c", str(tmp_path / "nginx.conf"), "-e", str(tmp_path / "error.log")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert "test is successful" in proc.stderr
