"""The site's OCPP options: the central system's form, its TLS pair check, the accepted tags."""

from __future__ import annotations

import errno
import ipaddress
from pathlib import Path
import re
import socket
import ssl

from homeassistant.helpers.selector import BooleanSelector, TextSelector, TextSelectorConfig
import voluptuous as vol

from ..const import (
    CONF_ALLOWED_TAGS,
    CONF_OCPP_ADDRESS,
    CONF_OCPP_CERTFILE,
    CONF_OCPP_KEYFILE,
    CONF_OCPP_LISTEN,
    CONF_OCPP_PORT,
    DEFAULT_OCPP_PORT,
)
from .selectors import whole

OCPP_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_OCPP_PORT, default=DEFAULT_OCPP_PORT): whole(1, 65535),
        vol.Optional(CONF_OCPP_ADDRESS): TextSelector(),
        vol.Optional(CONF_OCPP_CERTFILE): TextSelector(),
        vol.Optional(CONF_OCPP_KEYFILE): TextSelector(),
        vol.Required(CONF_OCPP_LISTEN, default=False): BooleanSelector(),
        vol.Optional(CONF_ALLOWED_TAGS, default=[]): TextSelector(
            TextSelectorConfig(multiple=True)
        ),
    }
)


# OpenSSL's errors end with where in CPython they were raised: "(_ssl.c:4067)".
OPENSSL_SOURCE = re.compile(r" \(_ssl\.c:\d+\)$")


def check_tls(certfile: str, keyfile: str) -> tuple[str, str] | None:
    """The field at fault and why, when the pair cannot serve TLS; None when it can."""
    for field, path in ((CONF_OCPP_CERTFILE, certfile), (CONF_OCPP_KEYFILE, keyfile)):
        if not Path(path).is_file():
            return field, f"{path} is not a file"
    try:
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(certfile, keyfile)
    except OSError as err:  # ssl.SSLError included
        return "base", OPENSSL_SOURCE.sub("", str(err))
    return None


def check_address(text: str) -> tuple[str, str] | None:
    """The error key and its detail when `text` is not an address of this machine; else None.

    Blocking (it binds a socket to the address, port 0, and closes it at once).
    """
    try:
        address = ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return "address_invalid", text
    family = socket.AF_INET6 if address.version == 6 else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((str(address), 0))
        except OSError as err:
            if err.errno == errno.EADDRNOTAVAIL:
                return "address_not_here", str(address)
            return "address_unusable", f"{address}: {err.strerror or err}"
    return None


def tidy_tags(values: list[str]) -> list[str]:
    """Tags as typed, stripped, without blanks or repeats, in their order."""
    return list(dict.fromkeys(tag for value in values if (tag := value.strip())))
