"""Shared by the CoAP tests: libcoap's coap-client and coap-server, and the link formats we expect."""

from __future__ import annotations

import asyncio
import shutil


def _find_libcoap(tool: str) -> str | None:
    """Debian's libcoap3-bin names its tools coap-client-notls/-gnutls/-openssl, no plain alias."""
    for suffix in ("", "-notls", "-openssl", "-gnutls"):
        if path := shutil.which(f"{tool}{suffix}"):
            return path
    return None


COAP_CLIENT = _find_libcoap("coap-client")
COAP_SERVER = _find_libcoap("coap-server")


async def coap_client_run(*args: str, within_s: float = 6.0) -> tuple[str, str]:
    """Run coap-client with `args`; return its stdout and stderr."""
    assert COAP_CLIENT is not None
    process = await asyncio.create_subprocess_exec(
        COAP_CLIENT,
        "-B",
        "3",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with asyncio.timeout(within_s):
            out, err = await process.communicate()
    except TimeoutError:
        process.kill()
        await process.wait()
        raise
    return out.decode(), err.decode()


# The simulated station's /.well-known/core.
DISCOVERY = (
    '</switch>;rt="ev_v2g.switch";obs,</regulator>;rt="ev_v2g.regulator";obs,'
    '</current>;rt="ev_v2g.current";obs;ct=110,</energy>;rt="ev_v2g.energy";obs;ct=110,'
    '</vehicle>;rt="ev_v2g.vehicle";obs;ct=50'
)


# The firmware's: the simulator's resources and its calibration resource /ct.
FIRMWARE_DISCOVERY = (
    '</switch>;rt="ev_v2g.switch";obs,</regulator>;rt="ev_v2g.regulator";obs,'
    '</current>;rt="ev_v2g.current";obs;ct=110,</energy>;rt="ev_v2g.energy";obs;ct=110,'
    '</vehicle>;rt="ev_v2g.vehicle";obs;ct=50,</ct>;rt="ev_v2g.ct";ct=50'
)
