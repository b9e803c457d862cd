"""The console image's nginx (deploy/console/nginx.conf, rendered by the code that renders the
gateway's) run here on a console build: it serves the console exactly as the gateway does,
which the HTTPRoute crm-console relies on in Kubernetes."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from crm_devstack.gateway_binary import nginx_binary
from crm_devstack.gateway_config import render_console_server
from crm_devstack.processes import free_port
from crm_devstack.system_packages import install_packages, missing_packages

from .console_files import assert_serves_the_console

HEALTH = "/console/health"


@pytest.fixture
async def console_server(tmp_path: Path, console_build: Path) -> AsyncIterator[str]:
    if nginx_binary() is None:
        await asyncio.to_thread(install_packages, missing_packages(["gateway"]), print)
    binary = nginx_binary()
    assert binary is not None, "nginx could not be installed"
    port = free_port()
    conf = tmp_path / "nginx.conf"
    conf.write_text(
        render_console_server(listen=f"127.0.0.1:{port}", console=console_build, temp=tmp_path)
    )
    # As the image starts it: no log file before the configuration is read.
    nginx = await asyncio.create_subprocess_exec(
        binary, "-e", "/dev/stderr", "-c", str(conf), stdout=asyncio.subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient() as client:
            for _ in range(200):
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(f"{base}{HEALTH}")).status_code == 200:
                        break
                await asyncio.sleep(0.05)
        yield base
    finally:
        nginx.terminate()
        await asyncio.wait_for(nginx.wait(), timeout=30)


async def test_the_console_image_serves_the_console_as_the_gateway_does(
    console_server: str,
) -> None:
    await assert_serves_the_console(console_server)


async def test_its_health_path_answers_for_the_probes(console_server: str) -> None:
    async with httpx.AsyncClient(base_url=console_server) as client:
        answer = await client.get(HEALTH)
    assert (answer.status_code, answer.text) == (200, "ok\n")
