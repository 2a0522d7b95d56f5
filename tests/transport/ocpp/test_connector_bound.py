"""A charger that invents connectors: only its configured ones are kept, logged once."""

from __future__ import annotations

import logging

import pytest

from custom_components.ev_v2g.transport.ocpp import CentralSystem
from custom_components.ev_v2g.transport.ocpp.timefmt import iso_utc

from .client import OcppClient

NOW = 1_780_000_000.0
INVENTED = range(1, 400)


def _lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "reports connector" in r.getMessage()]


async def test_ocpp16_connectors_beyond_the_configured_count_are_not_kept(
    central: CentralSystem, cp16: OcppClient, caplog: pytest.LogCaptureFixture
) -> None:
    """Status, meter values and a start on 399 connectors: two kept, one warning, start refused."""
    central.connector_counts = {"CP1": 2}
    caplog.set_level(logging.WARNING)
    for connector in INVENTED:
        status = {"connectorId": connector, "errorCode": "NoError", "status": "Available"}
        assert (await cp16.call("StatusNotification", status))[0] == 3
        sample = {"timestamp": iso_utc(NOW), "sampledValue": [{"value": "10"}]}
        meter = {"connectorId": connector, "meterValue": [sample]}
        assert (await cp16.call("MeterValues", meter))[0] == 3
    start = {"connectorId": 300, "idTag": "TAG1", "meterStart": 0, "timestamp": iso_utc(NOW)}
    answer = await cp16.call("StartTransaction", start)
    assert answer[2]["idTagInfo"] == {"status": "Invalid"}  # even for an accepted tag
    assert isinstance(answer[2]["transactionId"], int)
    assert sorted(central.states["CP1"].connectors) == [1, 2]
    assert len(_lines(caplog)) == 1
    assert "CP1 reports connector 3; its station is set up with 2" in _lines(caplog)[0]


async def test_ocpp201_evses_beyond_the_configured_count_are_not_kept(
    central: CentralSystem, cp201: OcppClient, caplog: pytest.LogCaptureFixture
) -> None:
    """The same for 2.0.1 EVSEs, their transactions and meter values."""
    central.connector_counts = {"CP2": 1}
    caplog.set_level(logging.WARNING)
    for evse in INVENTED:
        status = {
            "timestamp": iso_utc(NOW),
            "connectorStatus": "Occupied",
            "evseId": evse,
            "connectorId": 1,
        }
        assert (await cp201.call("StatusNotification", status))[0] == 3
        sample = {"timestamp": iso_utc(NOW), "sampledValue": [{"value": 10.0}]}
        assert (await cp201.call("MeterValues", {"evseId": evse, "meterValue": [sample]}))[0] == 3
    event = {
        "eventType": "Started",
        "timestamp": iso_utc(NOW),
        "triggerReason": "Authorized",
        "seqNo": 0,
        "transactionInfo": {"transactionId": "t-1"},
        "evse": {"id": 77, "connectorId": 1},
        "idToken": {"idToken": "TAG1", "type": "ISO14443"},
    }
    answer = await cp201.call("TransactionEvent", event)
    assert answer[2]["idTokenInfo"] == {"status": "Invalid"}
    assert sorted(central.states["CP2"].connectors) == [1]
    assert central.states["CP2"].connectors[1].transaction is None
    assert len(_lines(caplog)) == 1


async def test_an_unconfigured_charge_point_keeps_at_most_eight(
    central: CentralSystem, cp16: OcppClient
) -> None:
    """Without a configured count the forms' maximum (8) bounds what is kept."""
    for connector in INVENTED:
        status = {"connectorId": connector, "errorCode": "NoError", "status": "Available"}
        await cp16.call("StatusNotification", status)
    assert sorted(central.states["CP1"].connectors) == list(range(1, 9))
