"""Typed runtime data of a site config entry."""

from homeassistant.config_entries import ConfigEntry

from .hub import SiteHub

type EvV2gConfigEntry = ConfigEntry[SiteHub]
