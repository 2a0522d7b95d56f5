"""OCPP configuration: the station steps, the discovery of a charge point, the site's OCPP options."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import json
from pathlib import Path
import re
from types import MappingProxyType
from typing import Any
from unittest.mock import patch

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from homeassistant.config_entries import (
    SOURCE_IGNORE,
    SOURCE_INTEGRATION_DISCOVERY,
    SOURCE_USER,
    ConfigSubentry,
    ConfigSubentryData,
)
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import discovery_flow
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
import voluptuous as vol

from custom_components.ev_v2g.const import DOMAIN, SUBENTRY_RESIDENT, SUBENTRY_STATION
from custom_components.ev_v2g.transport.ocpp.passwords import hash_password, password_matches
from tests.conftest import SITE_DATA, station_subentry

EN_JSON = Path(__file__).parents[2] / "custom_components/ev_v2g/translations/en.json"
EN = json.loads(EN_JSON.read_text(encoding="utf-8"))
PASSWORD = re.compile(r"[A-Za-z0-9]{20}")
NO_HOST = "<home-assistant-address>"
ELECTRICAL = {"min_current_a": 6, "max_current_a": 16, "phases": "3", "connected_phase": "1"}


def ocpp_form(**extra: object) -> dict[str, object]:
    """What a user types into the OCPP station form."""
    return {"name": "Bay 4", "charge_point_id": "CP-1", "connectors": 2, **ELECTRICAL, **extra}


def wiring_form(**extra: object) -> dict[str, object]:
    """What a user types into the form of a discovered charge point (it has no id field)."""
    return {"name": "Wallbox", "connectors": 1, **ELECTRICAL, **extra}


OLD_HASH = hash_password("old-password")


def ocpp_subentry(charge_point_id: str) -> ConfigSubentryData:
    """Subentry data of an OCPP station."""
    data = {
        "protocol": "ocpp",
        "charge_point_id": charge_point_id,
        "password_hash": OLD_HASH,
        "connectors": 1,
        "min_current_a": 6.0,
        "max_current_a": 32.0,
        "phases": 1,
        "connected_phase": 1,
        "owner": None,
    }
    return ConfigSubentryData(
        data=MappingProxyType(data),
        subentry_type=SUBENTRY_STATION,
        title=f"Station {charge_point_id}",
        unique_id=f"ocpp:{charge_point_id}",
    )


def fields(result: dict[str, Any]) -> list[str]:
    """The names of a form's fields, in order (none for a form without a schema)."""
    schema = result["data_schema"]
    return [] if schema is None else [str(key) for key in schema.schema]


def stations(entry: MockConfigEntry) -> dict[str, Any]:
    """The station subentries of a site, by unique id."""
    return {
        s.unique_id: s for s in entry.subentries.values() if s.subentry_type == SUBENTRY_STATION
    }


@pytest.fixture
def site(hass: HomeAssistant) -> MockConfigEntry:
    """A site (not set up: flows only need the entry) with one CoAP station, CP-OLD and Ann."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Garage",
        unique_id="garage",
        data=SITE_DATA,
        subentries_data=[
            station_subentry("Bay 1", 5683),
            ocpp_subentry("CP-OLD"),
            ConfigSubentryData(
                data=MappingProxyType({"id_tags": [], "user_id": None}),
                subentry_type=SUBENTRY_RESIDENT,
                title="Ann",
                unique_id="ann",
            ),
        ],
    )
    entry.add_to_hass(hass)
    return entry


def ann_of(site: MockConfigEntry) -> str:
    """The subentry id of the resident Ann."""
    return next(k for k, s in site.subentries.items() if s.subentry_type == SUBENTRY_RESIDENT)


# --------------------------------------------------------------------------------------------
# Adding and changing an OCPP station


async def _ocpp_flow(hass: HomeAssistant, site: MockConfigEntry) -> dict[str, Any]:
    result = await hass.config_entries.subentries.async_init(
        (site.entry_id, SUBENTRY_STATION), context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == ["coap", "ocpp"]
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"next_step_id": "ocpp"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "ocpp"
    return result


async def _submit(hass: HomeAssistant, result: dict[str, Any], form: dict[str, Any]) -> Any:
    return await hass.config_entries.subentries.async_configure(result["flow_id"], form)


async def test_add_ocpp_station(hass: HomeAssistant, site: MockConfigEntry) -> None:
    """The form asks for the id; the password page shows the credentials; confirming stores them."""
    result = await _ocpp_flow(hass, site)
    assert fields(result) == [
        "name",
        "charge_point_id",
        "connectors",
        "min_current_a",
        "max_current_a",
        "phases",
        "connected_phase",
        "owner",
    ]
    result = await _submit(hass, result, ocpp_form(charge_point_id=" CP-1 "))
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "ocpp_password"
    assert not fields(result)
    shown = result["description_placeholders"]
    assert PASSWORD.fullmatch(shown["password"])
    assert shown["charge_point_id"] == "CP-1"
    assert shown["url"] == f"ws://{NO_HOST}:9000/CP-1"
    assert "ocpp:CP-1" not in stations(site)  # nothing is stored before the user confirms
    result = await _submit(hass, result, {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    station = stations(site)["ocpp:CP-1"]
    assert station.title == "Bay 4"
    data = dict(station.data)
    assert password_matches(data.pop("password_hash"), shown["password"])
    assert shown["password"] not in repr(site.as_dict())  # the password is kept only as a hash
    assert data == {
        "protocol": "ocpp",
        "charge_point_id": "CP-1",
        "connectors": 2,
        "min_current_a": 6.0,
        "max_current_a": 16.0,
        "phases": 3,
        "connected_phase": 1,
        "owner": None,
    }
    types = [type(station.data[key]) for key in ("connectors", "min_current_a", "phases")]
    assert types == [int, float, int]


async def test_passwords_differ(hass: HomeAssistant, site: MockConfigEntry) -> None:
    """Each station gets its own random password."""
    passwords = set()
    for charge_point_id in ("CP-1", "CP-2", "CP-3"):
        result = await _ocpp_flow(hass, site)
        result = await _submit(hass, result, ocpp_form(charge_point_id=charge_point_id))
        passwords.add(result["description_placeholders"]["password"])
    assert len(passwords) == 3


async def test_ocpp_station_owner_and_empty_name(
    hass: HomeAssistant, site: MockConfigEntry
) -> None:
    """The owner is stored as the resident's id; an empty name falls back to the id."""
    ann = ann_of(site)
    result = await _ocpp_flow(hass, site)
    result = await _submit(hass, result, ocpp_form(name="  ", owner=ann))
    await _submit(hass, result, {})
    station = stations(site)["ocpp:CP-1"]
    assert (station.title, station.data["owner"]) == ("CP-1", ann)


@pytest.mark.parametrize(
    ("internal_url", "certificate", "port", "url"),
    [
        ("http://192.168.1.5:8123", None, None, "ws://192.168.1.5:9000/CP-1"),
        ("http://homeassistant.local:8123", "/ssl/cert.pem", 9443, None),
        ("http://[fd00::5]:8123", None, 9001, "ws://[fd00::5]:9001/CP-1"),
    ],
)
async def test_charger_url(
    hass: HomeAssistant,
    site: MockConfigEntry,
    internal_url: str,
    certificate: str | None,
    port: int | None,
    url: str | None,
) -> None:
    """The URL names Home Assistant's address, the site's port, and wss with a certificate."""
    await hass.config.async_update(internal_url=internal_url)
    options = {"ocpp_port": port, "ocpp_certfile": certificate}
    hass.config_entries.async_update_entry(site, options=options)
    result = await _ocpp_flow(hass, site)
    result = await _submit(hass, result, ocpp_form())
    expected = url or "wss://homeassistant.local:9443/CP-1"
    assert result["description_placeholders"]["url"] == expected


@pytest.mark.parametrize(
    ("charge_point_id", "valid"),
    [
        ("", False),
        ("CP 1", False),
        ("site/CP1", False),
        ("CP#1", False),
        ("CP?1", False),
        ("Bôrne", False),
        ("x" * 49, False),
        ("x" * 48, True),
        ("A-b_c.d:9", True),
    ],
)
async def test_charge_point_id_is_checked(
    hass: HomeAssistant, site: MockConfigEntry, charge_point_id: str, valid: bool
) -> None:
    """An id must fit a URL path as it is: 1 to 48 letters, digits, hyphens, dots, colons, _."""
    result = await _ocpp_flow(hass, site)
    result = await _submit(hass, result, ocpp_form(charge_point_id=charge_point_id))
    if valid:
        assert result["step_id"] == "ocpp_password"
    else:
        assert result["step_id"] == "ocpp"
        assert result["errors"] == {"charge_point_id": "invalid_charge_point_id"}


async def test_ocpp_min_above_max(hass: HomeAssistant, site: MockConfigEntry) -> None:
    """A minimum above the maximum is refused on its field."""
    result = await _ocpp_flow(hass, site)
    result = await _submit(hass, result, ocpp_form(min_current_a=20))
    assert result["errors"] == {"min_current_a": "min_above_max"}


async def test_ocpp_station_already_configured(hass: HomeAssistant, site: MockConfigEntry) -> None:
    """An id the site already has is refused."""
    result = await _ocpp_flow(hass, site)
    result = await _submit(hass, result, ocpp_form(charge_point_id="CP-OLD"))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_ocpp_station_added_meanwhile(hass: HomeAssistant, site: MockConfigEntry) -> None:
    """The same charger, added by its discovery while the password page was open, is not doubled."""
    result = await _ocpp_flow(hass, site)
    result = await _submit(hass, result, ocpp_form())
    found = await _discover(hass, site, "CP-1")
    await _configure(hass, found, wiring_form())
    result = await _submit(hass, result, {})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert stations(site)["ocpp:CP-1"].title == "Wallbox"


async def test_adding_a_discovered_charger_by_hand_ends_its_discovery(
    hass: HomeAssistant, site: MockConfigEntry
) -> None:
    """A charger waiting as discovered, added from the site instead, is no longer offered."""
    await _discover(hass, site, "CP-1")
    await _discover(hass, site, "CP-2")
    result = await _ocpp_flow(hass, site)
    result = await _submit(hass, result, ocpp_form())
    await _submit(hass, result, {})
    waiting = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["unique_id"] for flow in waiting] == [
        f"ocpp_discovery:{site.entry_id}:CP-2"
    ]


async def _reconfigure(hass: HomeAssistant, site: MockConfigEntry, unique_id: str) -> Any:
    result = await site.start_subentry_reconfigure_flow(hass, stations(site)[unique_id].subentry_id)
    assert result["type"] is FlowResultType.FORM
    return result


async def test_reconfigure_ocpp_station(hass: HomeAssistant, site: MockConfigEntry) -> None:
    """The id is shown, not asked; the password stays unless a new one is asked for."""
    result = await _reconfigure(hass, site, "ocpp:CP-OLD")
    assert result["step_id"] == "ocpp_reconfigure"
    assert result["description_placeholders"] == {"charge_point_id": "CP-OLD"}
    assert "charge_point_id" not in fields(result)
    assert fields(result)[-1] == "new_password"
    defaults = {str(key): key.default() for key in result["data_schema"].schema}
    assert defaults["name"] == "Station CP-OLD"
    assert (defaults["max_current_a"], defaults["owner"], defaults["new_password"]) == (
        32.0,
        "none",
        False,
    )
    form = {**wiring_form(name="Bay 7", connectors=2), "owner": ann_of(site)}
    result = await _submit(hass, result, form)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    station = stations(site)["ocpp:CP-OLD"]
    assert station.title == "Bay 7"
    assert dict(station.data) == {
        "protocol": "ocpp",
        "charge_point_id": "CP-OLD",
        "password_hash": OLD_HASH,
        "connectors": 2,
        "min_current_a": 6.0,
        "max_current_a": 16.0,
        "phases": 3,
        "connected_phase": 1,
        "owner": ann_of(site),
    }
    result = await _reconfigure(hass, site, "ocpp:CP-OLD")
    assert next(k for k in result["data_schema"].schema if k == "owner").default() == ann_of(site)


async def test_reconfigure_ocpp_new_password(hass: HomeAssistant, site: MockConfigEntry) -> None:
    """A new password is shown first, and stored only when confirmed."""
    result = await _reconfigure(hass, site, "ocpp:CP-OLD")
    result = await _submit(hass, result, wiring_form(new_password=True))
    assert result["step_id"] == "ocpp_password"
    shown = result["description_placeholders"]
    assert PASSWORD.fullmatch(shown["password"])
    assert shown["url"] == f"ws://{NO_HOST}:9000/CP-OLD"
    assert stations(site)["ocpp:CP-OLD"].data["password_hash"] == OLD_HASH
    result = await _submit(hass, result, {})
    assert result["reason"] == "reconfigure_successful"
    new_hash = stations(site)["ocpp:CP-OLD"].data["password_hash"]
    assert password_matches(new_hash, shown["password"])
    assert not password_matches(new_hash, "old-password")


async def test_reconfigure_ocpp_min_above_max(hass: HomeAssistant, site: MockConfigEntry) -> None:
    """Reconfigure refuses a minimum above the maximum too."""
    result = await _reconfigure(hass, site, "ocpp:CP-OLD")
    result = await _submit(hass, result, wiring_form(min_current_a=32, max_current_a=10))
    assert result["step_id"] == "ocpp_reconfigure"
    assert result["errors"] == {"min_current_a": "min_above_max"}


async def test_reconfigure_coap_station_keeps_its_form(
    hass: HomeAssistant, site: MockConfigEntry
) -> None:
    """A CoAP station is still reconfigured with its address form."""
    result = await _reconfigure(hass, site, "coap:127.0.0.1:5683")
    assert result["step_id"] == "reconfigure"
    assert {"host", "port"} <= set(fields(result))


# --------------------------------------------------------------------------------------------
# Discovery of a charge point


async def _discover(
    hass: HomeAssistant, site: MockConfigEntry | str, charge_point_id: str
) -> dict[str, Any]:
    entry_id = site if isinstance(site, str) else site.entry_id
    result: dict[str, Any] = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_INTEGRATION_DISCOVERY},
        data={"entry_id": entry_id, "charge_point_id": charge_point_id},
    )
    return result


async def _configure(hass: HomeAssistant, result: dict[str, Any], form: dict[str, Any]) -> Any:
    return await hass.config_entries.flow.async_configure(result["flow_id"], form)


async def test_discovery_adds_the_charge_point(hass: HomeAssistant, site: MockConfigEntry) -> None:
    """Raised as the runtime raises it; accepted, the charger becomes a station of its site."""
    discovery_flow.async_create_flow(
        hass,
        DOMAIN,
        {"source": SOURCE_INTEGRATION_DISCOVERY},
        {"entry_id": site.entry_id, "charge_point_id": "EVB-P2147"},
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    (flow,) = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert flow["step_id"] == "charge_point"
    assert flow["context"]["unique_id"] == f"ocpp_discovery:{site.entry_id}:EVB-P2147"
    assert flow["context"]["title_placeholders"] == {
        "charge_point_id": "EVB-P2147",
        "site": "Garage",
    }
    result = await hass.config_entries.flow.async_configure(flow["flow_id"])
    assert result["step_id"] == "charge_point"
    assert result["description_placeholders"] == {"charge_point_id": "EVB-P2147", "site": "Garage"}
    assert "charge_point_id" not in fields(result)
    assert next(k for k in result["data_schema"].schema if k == "name").default() == "EVB-P2147"
    result = await _configure(hass, result, wiring_form(name="", owner=ann_of(site)))
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "charge_point_added"
    assert not fields(result)
    shown = result["description_placeholders"]
    assert PASSWORD.fullmatch(shown["password"])
    assert shown["url"] == f"ws://{NO_HOST}:9000/EVB-P2147"
    station = stations(site)["ocpp:EVB-P2147"]  # already on the site
    assert station.title == "EVB-P2147"
    data = dict(station.data)
    assert password_matches(data.pop("password_hash"), shown["password"])
    assert data == {
        "protocol": "ocpp",
        "charge_point_id": "EVB-P2147",
        "connectors": 1,
        "min_current_a": 6.0,
        "max_current_a": 16.0,
        "phases": 3,
        "connected_phase": 1,
        "owner": ann_of(site),
    }
    result = await _configure(hass, result, {})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "charge_point_added"
    assert hass.config_entries.async_entries(DOMAIN, include_ignore=True) == [site]
    again = await _discover(hass, site, "EVB-P2147")
    assert again["reason"] == "already_configured"


async def test_discovery_in_progress(hass: HomeAssistant, site: MockConfigEntry) -> None:
    """A charger that knocks again while its card is shown raises no second card."""
    first = await _discover(hass, site, "CP-1")
    assert first["step_id"] == "charge_point"
    second = await _discover(hass, site, "CP-1")
    assert second["type"] is FlowResultType.ABORT
    assert second["reason"] == "already_in_progress"
    assert len(hass.config_entries.flow.async_progress_by_handler(DOMAIN)) == 1


async def test_ignored_discovery_stays_ignored(hass: HomeAssistant, site: MockConfigEntry) -> None:
    """Ignoring the card stops new ones for that charger, and only for that one."""
    first = await _discover(hass, site, "CP-1")
    unique_id = f"ocpp_discovery:{site.entry_id}:CP-1"
    # Storing the ignore sets up the domain, so the site too: this test is about flows only.
    with patch("custom_components.ev_v2g.async_setup_entry", return_value=True):
        ignored = await hass.config_entries.flow.async_init(
            DOMAIN,
            context={"source": SOURCE_IGNORE},
            data={"unique_id": unique_id, "title": "CP-1"},
        )
    assert ignored["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert first["flow_id"] not in {
        flow["flow_id"] for flow in hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    }
    again = await _discover(hass, site, "CP-1")
    assert again["type"] is FlowResultType.ABORT
    assert again["reason"] == "already_configured"
    other = await _discover(hass, site, "CP-2")
    assert other["step_id"] == "charge_point"
    assert "ocpp:CP-1" not in stations(site)


@pytest.mark.parametrize(
    ("entry_id", "charge_point_id", "reason"),
    [
        ("no-such-entry", "CP-1", "site_not_found"),
        (None, "CP-OLD", "already_configured"),
        (None, "bad/id", "invalid_charge_point_id"),
        (None, "", "invalid_charge_point_id"),
    ],
)
async def test_discovery_aborts(
    hass: HomeAssistant,
    site: MockConfigEntry,
    entry_id: str | None,
    charge_point_id: str,
    reason: str,
) -> None:
    """A vanished site, a known charger and an unusable id raise no card."""
    result = await _discover(hass, entry_id or site, charge_point_id)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == reason


async def test_discovery_of_another_domain_entry(hass: HomeAssistant) -> None:
    """Only an ev_v2g site can receive a charger."""
    other = MockConfigEntry(domain="demo", title="Demo")
    other.add_to_hass(hass)
    result = await _discover(hass, other.entry_id, "CP-1")
    assert result["reason"] == "site_not_found"


async def test_discovery_site_removed_meanwhile(hass: HomeAssistant, site: MockConfigEntry) -> None:
    """The site removed while the card waited: the card closes instead of failing."""
    result = await _discover(hass, site, "CP-1")
    await hass.config_entries.async_remove(site.entry_id)
    result = await _configure(hass, result, wiring_form())
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "site_not_found"


async def test_discovery_station_added_meanwhile(
    hass: HomeAssistant, site: MockConfigEntry
) -> None:
    """The charger added by hand while its card waited: the card closes, nothing is doubled."""
    found = await _discover(hass, site, "CP-1")
    data = ocpp_subentry("CP-1")
    station = ConfigSubentry(
        data=data["data"],
        subentry_type=data["subentry_type"],
        title=data["title"],
        unique_id=data["unique_id"],
    )
    hass.config_entries.async_add_subentry(site, station)
    result = await _configure(hass, found, wiring_form())
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_discovery_min_above_max(hass: HomeAssistant, site: MockConfigEntry) -> None:
    """A minimum above the maximum is refused on its field, and nothing is added."""
    result = await _discover(hass, site, "CP-1")
    result = await _configure(hass, result, wiring_form(min_current_a=20))
    assert result["step_id"] == "charge_point"
    assert result["errors"] == {"min_current_a": "min_above_max"}
    assert "ocpp:CP-1" not in stations(site)


# --------------------------------------------------------------------------------------------
# The site's OCPP options


def write_pair(folder: Path, name: str) -> tuple[Path, Path]:
    """A self-signed certificate and its private key, as PEM files in folder."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "homeassistant.local")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    certfile, keyfile = folder / f"{name}.crt", folder / f"{name}.key"
    certfile.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    keyfile.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return certfile, keyfile


async def _ocpp_options(hass: HomeAssistant, site: MockConfigEntry) -> Any:
    result = await hass.config_entries.options.async_init(site.entry_id)
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == ["sharing", "billing", "ocpp"]
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "ocpp"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "ocpp"
    return result


async def _options(hass: HomeAssistant, site: MockConfigEntry, form: dict[str, Any]) -> Any:
    result = await _ocpp_options(hass, site)
    return await hass.config_entries.options.async_configure(result["flow_id"], form)


def suggested(result: dict[str, Any]) -> dict[str, Any]:
    """The value each field of a form starts with: suggested, else its default."""
    values = {}
    for key in result["data_schema"].schema:
        if "suggested_value" in (key.description or {}):
            values[str(key)] = key.description["suggested_value"]
        elif key.default is not vol.UNDEFINED:
            values[str(key)] = key.default()
    return values


async def test_ocpp_options_defaults(hass: HomeAssistant, site: MockConfigEntry) -> None:
    """A site never set up for OCPP listens on 9000, without TLS, accepting no tags."""
    result = await _ocpp_options(hass, site)
    assert fields(result) == [
        "ocpp_port",
        "ocpp_address",
        "ocpp_certfile",
        "ocpp_keyfile",
        "ocpp_listen",
        "allowed_tags",
    ]
    assert suggested(result) == {"ocpp_port": 9000, "ocpp_listen": False, "allowed_tags": []}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"ocpp_port": 9000}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert site.options == {
        "ocpp_port": 9000,
        "ocpp_address": None,
        "ocpp_certfile": None,
        "ocpp_keyfile": None,
        "ocpp_listen": False,
        "allowed_tags": [],
    }


async def test_ocpp_options_stored(
    hass: HomeAssistant, site: MockConfigEntry, tmp_path: Path
) -> None:
    """Port, a valid pair and tags are stored (tags tidied); other options are kept."""
    hass.config_entries.async_update_entry(site, options={"policy": "fcfs"})
    certfile, keyfile = write_pair(tmp_path, "site")
    tags = [" 04A2B3C4 ", "", "  ", "04A2B3C4", "guest"]
    form = {"ocpp_port": 9443.0, "ocpp_certfile": f" {certfile} ", "ocpp_keyfile": str(keyfile)}
    result = await _options(hass, site, {**form, "ocpp_listen": True, "allowed_tags": tags})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert site.options == {
        "policy": "fcfs",
        "ocpp_port": 9443,
        "ocpp_address": None,
        "ocpp_certfile": str(certfile),
        "ocpp_keyfile": str(keyfile),
        "ocpp_listen": True,
        "allowed_tags": ["04A2B3C4", "guest"],
    }
    assert type(site.options["ocpp_port"]) is int
    result = await _ocpp_options(hass, site)
    assert suggested(result) == {
        "ocpp_port": 9443,
        "ocpp_certfile": str(certfile),
        "ocpp_keyfile": str(keyfile),
        "ocpp_listen": True,
        "allowed_tags": ["04A2B3C4", "guest"],
    }


async def test_ocpp_options_relative_paths(
    hass: HomeAssistant, site: MockConfigEntry, tmp_path: Path
) -> None:
    """Paths without a leading / are taken in the configuration folder, and stored in full."""
    hass.config.config_dir = str(tmp_path)
    (tmp_path / "ssl").mkdir()
    certfile, keyfile = write_pair(tmp_path / "ssl", "site")
    form = {"ocpp_port": 9000, "ocpp_certfile": "ssl/site.crt", "ocpp_keyfile": "ssl/site.key"}
    result = await _options(hass, site, form)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert (site.options["ocpp_certfile"], site.options["ocpp_keyfile"]) == (
        str(certfile),
        str(keyfile),
    )


@pytest.mark.parametrize(("typed", "stored"), [(" 127.0.0.1 ", "127.0.0.1"), ("[::1]", "::1")])
async def test_ocpp_options_listen_address(
    hass: HomeAssistant, site: MockConfigEntry, loopback: None, typed: str, stored: str
) -> None:
    """An address of this machine is stored as an address (brackets and spaces dropped)."""
    result = await _options(hass, site, {"ocpp_port": 9000, "ocpp_address": typed})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert site.options["ocpp_address"] == stored


@pytest.mark.parametrize(
    ("typed", "error", "detail"),
    [
        ("garage.local", "address_invalid", "garage.local"),
        ("192.168.1.300", "address_invalid", "192.168.1.300"),
        # TEST-NET-1 (RFC 5737): never an address of this machine.
        ("192.0.2.55", "address_not_here", "192.0.2.55"),
    ],
)
async def test_ocpp_options_bad_listen_address(
    hass: HomeAssistant, site: MockConfigEntry, loopback: None, typed: str, error: str, detail: str
) -> None:
    """A name, a malformed address or one this machine does not have is refused, saying which."""
    result = await _options(hass, site, {"ocpp_port": 9000, "ocpp_address": typed})
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"ocpp_address": error}
    assert result["description_placeholders"]["address"] == detail
    assert not site.options


@pytest.mark.parametrize(
    ("given", "field"), [("ocpp_certfile", "ocpp_keyfile"), ("ocpp_keyfile", "ocpp_certfile")]
)
async def test_ocpp_options_need_both_files(
    hass: HomeAssistant, site: MockConfigEntry, tmp_path: Path, given: str, field: str
) -> None:
    """A certificate without its key, or a key without its certificate, is refused."""
    certfile, keyfile = write_pair(tmp_path, "site")
    path = {"ocpp_certfile": certfile, "ocpp_keyfile": keyfile}[given]
    result = await _options(hass, site, {"ocpp_port": 9000, given: str(path), field: " "})
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {field: "tls_pair"}
    assert not site.options


@pytest.mark.parametrize("fault", ["no_cert", "no_key", "mismatch", "not_pem", "key_as_cert"])
async def test_ocpp_options_bad_pair(
    hass: HomeAssistant, site: MockConfigEntry, tmp_path: Path, fault: str
) -> None:
    """A missing file, or a pair that cannot serve TLS, is refused with the reason."""
    certfile, keyfile = write_pair(tmp_path, "site")
    _, other_key = write_pair(tmp_path, "other")
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate\n", encoding="utf-8")
    pair, field = {
        "no_cert": ((tmp_path / "missing.crt", keyfile), "ocpp_certfile"),
        "no_key": ((certfile, tmp_path / "missing.key"), "ocpp_keyfile"),
        "mismatch": ((certfile, other_key), "base"),
        "not_pem": ((garbage, keyfile), "base"),
        "key_as_cert": ((keyfile, keyfile), "base"),
    }[fault]
    form = {"ocpp_port": 9000, "ocpp_certfile": str(pair[0]), "ocpp_keyfile": str(pair[1])}
    result = await _options(hass, site, form)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {field: "tls_invalid"}
    reason = result["description_placeholders"]["error"]
    assert reason.strip()
    assert "_ssl.c" not in reason
    if fault == "mismatch":
        assert "KEY_VALUES_MISMATCH" in reason
    if field != "base":
        assert str(pair[0] if field == "ocpp_certfile" else pair[1]) in reason
    assert not site.options


# --------------------------------------------------------------------------------------------
# Translations


def _node(path: str) -> Any:
    node = EN
    for part in path.split("."):
        node = node[part]
    return node


async def test_forms_are_translated(hass: HomeAssistant, site: MockConfigEntry) -> None:
    """Every field of every OCPP form has a label and a description."""
    forms = {
        "config_subentries.station.step.ocpp": await _ocpp_flow(hass, site),
        "config_subentries.station.step.ocpp_reconfigure": await _reconfigure(
            hass, site, "ocpp:CP-OLD"
        ),
        "config.step.charge_point": await _discover(hass, site, "CP-1"),
        "options.step.ocpp": await _ocpp_options(hass, site),
    }
    for path, result in forms.items():
        step = _node(path)
        assert set(fields(result)) == set(step["data"]) == set(step["data_description"]), path
        assert all(text.strip() for text in [*step["data"].values(), step["title"]]), path


@pytest.mark.parametrize(
    ("path", "placeholders"),
    [
        ("config.flow_title", {"charge_point_id", "site"}),
        ("config.step.charge_point.description", {"charge_point_id", "site"}),
        ("config.step.charge_point_added.description", {"charge_point_id", "password", "url"}),
        (
            "config_subentries.station.step.ocpp_password.description",
            {"charge_point_id", "password", "url"},
        ),
        ("config_subentries.station.step.ocpp_reconfigure.description", {"charge_point_id"}),
        ("options.step.ocpp.description", {"error"}),
        ("options.error.tls_invalid", {"error"}),
        ("options.error.tls_pair", set()),
        ("config.abort.charge_point_added", set()),
        ("config.abort.site_not_found", set()),
        ("config.abort.already_in_progress", set()),
        ("config.abort.invalid_charge_point_id", set()),
        ("config.error.min_above_max", set()),
        ("config_subentries.station.error.invalid_charge_point_id", set()),
        ("config_subentries.station.step.user.menu_options.coap", set()),
        ("config_subentries.station.step.user.menu_options.ocpp", set()),
        ("options.step.init.menu_options.ocpp", set()),
        ("exceptions.ocpp_port_in_use.message", {"port"}),
        ("exceptions.ocpp_unavailable.message", {"error"}),
        ("exceptions.ocpp_certificate.message", {"error"}),
        ("exceptions.charge_point_offline.message", {"station"}),
        ("issues.ocpp_port_in_use.title", {"site"}),
        ("issues.ocpp_port_in_use.description", {"site", "port"}),
    ],
)
def test_texts(path: str, placeholders: set[str]) -> None:
    """Each text exists and uses exactly the placeholders the code provides."""
    text = _node(path)
    assert text.strip()
    assert set(re.findall(r"{(\w+)}", text)) == placeholders


def test_initiate_flow_label() -> None:
    """The site's page offers one button for both kinds of station."""
    assert EN["config_subentries"]["station"]["initiate_flow"]["user"] == "Add charging station"
