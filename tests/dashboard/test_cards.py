"""The dashboard's configuration from names and entity ids alone (no Home Assistant)."""

from __future__ import annotations

from custom_components.ev_v2g.dashboard.cards import DeviceCards, SiteCards, dashboard_config


def _device(name: str, *keys: str, can_discharge: bool = False) -> DeviceCards:
    slug = name.lower().replace(" ", "_")
    return DeviceCards(
        name=name,
        entities={key: (f"sensor.{slug}_{key}", key) for key in keys},
        can_discharge=can_discharge,
    )


def _sections(config: dict[str, object]) -> list[dict[str, object]]:
    views = config["views"]
    assert isinstance(views, list)
    sections: list[dict[str, object]] = views[0]["sections"]
    return sections


def test_a_site_without_residents_or_stations() -> None:
    """The site and its power graph only; missing entities are left out, not broken cards."""
    config = dashboard_config(SiteCards(site=_device("Garage", "site_power")))
    sections = _sections(config)
    assert len(sections) == 2
    site_cards = sections[0]["cards"]
    assert isinstance(site_cards, list)
    assert [card["type"] for card in site_cards] == ["heading", "tile"]
    power_cards = sections[1]["cards"]
    assert isinstance(power_cards, list)
    assert len(power_cards) == 2  # heading and the site graph: no station graph without stations


def test_exported_energy_only_where_a_station_discharges() -> None:
    """Two stations with the same entities: only the one that discharges shows what it gave."""
    keys = ("state", "power", "energy_exported")
    site = SiteCards(
        site=_device("Garage"),
        stations=[_device("Bay 1", *keys, can_discharge=True), _device("Bay 2", *keys)],
        headings={"power": "Leistung"},
    )
    sections = _sections(dashboard_config(site))
    tiles = {
        section["cards"][0]["heading"]: [c["entity"] for c in section["cards"] if "entity" in c]  # type: ignore[index]
        for section in sections[2:]
    }
    assert "sensor.bay_1_energy_exported" in tiles["Bay 1"]
    assert "sensor.bay_2_energy_exported" not in tiles["Bay 2"]
    assert sections[1]["cards"][0]["heading"] == "Leistung"  # type: ignore[index]
