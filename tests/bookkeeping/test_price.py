"""The price in force for a reading: fixed, time-of-use in local time, or a price sensor."""

from __future__ import annotations

import logging

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest

from custom_components.ev_v2g.bookkeeping.price import PriceSource
from custom_components.ev_v2g.core.tariff import TariffError

SENSOR = "sensor.spot_price"
SCHEDULE = "07:00=0.30, 23:00=0.15"
WARNING = f"Price sensor {SENSOR} has no usable value; the fixed price applies"


def sensor_options(**extra: object) -> dict[str, object]:
    """Options of a sensor tariff with a fixed fallback price."""
    return {"tariff": "sensor", "price": 0.25, "price_sensor": SENSOR, **extra}


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The warnings PriceSource logged."""
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == "custom_components.ev_v2g.bookkeeping.price"
        and record.levelno == logging.WARNING
    ]


async def test_fixed_price(hass: HomeAssistant) -> None:
    """A fixed tariff gives its price, as a float, at any moment."""
    source = PriceSource(hass, {"tariff": "fixed", "price": 0.3125})
    assert source.price_now() == 0.3125
    assert source.kind == "fixed"
    assert source.sensor is None


async def test_no_options_is_free(hass: HomeAssistant) -> None:
    """Without billing options the price and the credit are zero."""
    source = PriceSource(hass, {})
    assert (source.price_now(), source.credit_rate, source.kind) == (0.0, 0.0, "fixed")


async def test_fixed_price_ignores_sensor_and_schedule(hass: HomeAssistant) -> None:
    """A fixed tariff ignores a stored schedule and price sensor."""
    hass.states.async_set(SENSOR, "0.99")
    options = {"tariff": "fixed", "price": 0.2, "tou_schedule": SCHEDULE, "price_sensor": SENSOR}
    source = PriceSource(hass, options)
    assert source.sensor is None
    assert source.price_now() == 0.2


@pytest.mark.parametrize(
    ("utc", "local_price"),
    [
        # 07:30 in Berlin (CET, UTC+1): the 07:00 window; in UTC it would still be night.
        ("2024-01-15 06:30:00+00:00", 0.30),
        # 23:30 in Berlin: the 23:00 window; in UTC it would still be day.
        ("2024-01-15 22:30:00+00:00", 0.15),
        # 06:30 in Berlin: yesterday's last window still runs.
        ("2024-01-15 05:30:00+00:00", 0.15),
        # 22:59 in Berlin: still the day window.
        ("2024-01-15 21:59:00+00:00", 0.30),
    ],
)
async def test_time_of_use_follows_local_time(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, utc: str, local_price: float
) -> None:
    """A time-of-use schedule is read in Home Assistant's time zone, not in UTC."""
    await hass.config.async_set_time_zone("Europe/Berlin")
    freezer.move_to(utc)
    source = PriceSource(hass, {"tariff": "time_of_use", "tou_schedule": SCHEDULE, "price": 9})
    assert source.price_now() == local_price


async def test_time_of_use_changes_with_the_clock(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """The same source gives the night price, then the day price once the clock passes 07:00."""
    await hass.config.async_set_time_zone("America/New_York")
    freezer.move_to("2024-07-01 10:59:00+00:00")  # 06:59 EDT
    source = PriceSource(hass, {"tariff": "time_of_use", "tou_schedule": SCHEDULE})
    assert source.price_now() == 0.15
    freezer.move_to("2024-07-01 11:00:00+00:00")  # 07:00 EDT
    assert source.price_now() == 0.30


async def test_bad_schedule_is_refused(hass: HomeAssistant) -> None:
    """A stored schedule that does not parse raises TariffError rather than pricing at zero."""
    with pytest.raises(TariffError):
        PriceSource(hass, {"tariff": "time_of_use", "tou_schedule": "7=0.3"})


@pytest.mark.parametrize(("state", "price"), [("0.4711", 0.4711), ("-0.05", -0.05), ("0", 0.0)])
async def test_sensor_price(hass: HomeAssistant, state: str, price: float) -> None:
    """A sensor tariff gives the sensor's state, negative prices included."""
    hass.states.async_set(SENSOR, state)
    source = PriceSource(hass, sensor_options())
    assert source.sensor == SENSOR
    assert source.price_now() == price


async def test_sensor_follows_state_changes(hass: HomeAssistant) -> None:
    """Each call reads the sensor's current state."""
    hass.states.async_set(SENSOR, "0.10")
    source = PriceSource(hass, sensor_options())
    assert source.price_now() == 0.10
    hass.states.async_set(SENSOR, "0.55")
    assert source.price_now() == 0.55


@pytest.mark.parametrize("state", ["unavailable", "unknown", "cheap", "nan", "inf", "", None])
async def test_unusable_sensor_falls_back_and_warns_once(
    hass: HomeAssistant, caplog: pytest.LogCaptureFixture, state: str | None
) -> None:
    """An unusable or missing sensor gives the fixed price and one warning however often asked."""
    if state is not None:
        hass.states.async_set(SENSOR, state)
    source = PriceSource(hass, sensor_options())
    assert [source.price_now() for _ in range(3)] == [0.25, 0.25, 0.25]
    assert warnings(caplog) == [WARNING]


async def test_warns_again_after_the_sensor_recovered(
    hass: HomeAssistant, caplog: pytest.LogCaptureFixture
) -> None:
    """Once the sensor works again, its next failure is logged again."""
    source = PriceSource(hass, sensor_options())
    assert source.price_now() == 0.25  # missing
    hass.states.async_set(SENSOR, "unavailable")
    assert source.price_now() == 0.25
    assert warnings(caplog) == [WARNING]
    hass.states.async_set(SENSOR, "0.33")
    assert source.price_now() == 0.33
    assert warnings(caplog) == [WARNING]
    hass.states.async_set(SENSOR, "unknown")
    assert source.price_now() == 0.25
    assert source.price_now() == 0.25
    assert warnings(caplog) == [WARNING, WARNING]


async def test_sensor_fallback_without_price_is_zero(hass: HomeAssistant) -> None:
    """A sensor tariff with no fixed price falls back to zero."""
    source = PriceSource(hass, {"tariff": "sensor", "price_sensor": SENSOR})
    assert source.price_now() == 0.0


@pytest.mark.parametrize(("stored", "rate"), [(0.12, 0.12), (3, 3.0), (None, 0.0)])
async def test_credit_rate(hass: HomeAssistant, stored: float | None, rate: float) -> None:
    """The V2G credit per kWh comes from the options, as a float; unset is zero."""
    source = PriceSource(hass, {"tariff": "fixed", "price": 0.3, "credit_rate": stored})
    assert source.credit_rate == rate
    assert type(source.credit_rate) is float


async def test_set_options_replaces_everything(
    hass: HomeAssistant, caplog: pytest.LogCaptureFixture, freezer: FrozenDateTimeFactory
) -> None:
    """New options replace the tariff, sensor, credit and kind, and reset the warning."""
    await hass.config.async_set_time_zone("UTC")
    freezer.move_to("2024-01-15 12:00:00+00:00")
    source = PriceSource(hass, sensor_options(credit_rate=0.1))
    assert source.price_now() == 0.25
    assert warnings(caplog) == [WARNING]

    source.set_options({"tariff": "time_of_use", "tou_schedule": SCHEDULE})
    assert (source.kind, source.sensor, source.credit_rate) == ("time_of_use", None, 0.0)
    assert source.price_now() == 0.30

    source.set_options({"tariff": "fixed", "price": 0.2, "credit_rate": 0.07})
    assert (source.kind, source.sensor, source.credit_rate) == ("fixed", None, 0.07)
    assert source.price_now() == 0.2

    source.set_options(sensor_options(price=0.5))
    assert source.sensor == SENSOR
    assert source.price_now() == 0.5  # the new fallback
    assert warnings(caplog) == [WARNING, WARNING]
    hass.states.async_set(SENSOR, "0.61")
    assert source.price_now() == 0.61
