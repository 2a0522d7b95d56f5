"""What the HTTP upgrade request must show before it becomes an OCPP WebSocket.

The charge point id is the last path segment (``/<id>``, percent-decoded), the subprotocol
``ocpp2.0.1`` or ``ocpp1.6`` (2.0.1 preferred when both are offered), and security profile 1
is HTTP Basic authentication with the charge point id as user name.
"""

from __future__ import annotations

from urllib.parse import unquote

from aiohttp import BasicAuth

from .model import OcppVersion
from .passwords import password_matches

MAX_ID_LENGTH = 255


def charge_point_id(raw_path: str) -> str | None:
    """The charge point id of a request path, None when the path does not name exactly one."""
    if not raw_path.startswith("/") or "/" in raw_path[1:]:
        return None
    try:
        identity = unquote(raw_path[1:], errors="strict")
    except UnicodeDecodeError:
        return None
    if (
        not identity
        or "/" in identity
        or len(identity) > MAX_ID_LENGTH
        or not identity.isprintable()
    ):
        return None
    return identity


def choose_subprotocol(header: str | None) -> OcppVersion | None:
    """The version to speak from a ``Sec-WebSocket-Protocol`` header: 2.0.1 before 1.6."""
    if not header:
        return None
    offered = {item.strip() for item in header.split(",")}
    for version in (OcppVersion.V201, OcppVersion.V16):
        if version.value in offered:
            return version
    return None


def basic_auth_matches(header: str | None, charge_point: str, password_hash: str) -> bool:
    """Whether an ``Authorization`` header carries the charge point's id and its password.

    The password is checked against ``password_hash`` (``passwords.hash_password``).
    """
    if not header:
        return False
    try:
        credentials = BasicAuth.decode(header)
    except ValueError:
        return False
    return credentials.login == charge_point and password_matches(
        password_hash, credentials.password
    )
