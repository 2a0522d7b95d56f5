"""The station's resource tree: routing, /.well-known/core (RFC 6690) and when to notify.

Observable resources notify when their state moves, and the metering ones at least every
Max-Age / 2 as a heartbeat, so Home Assistant's observation watchdog sees a live station.
"""

from . import coap
from .resources import RT_PREFIX, resources_of

WELL_KNOWN_CORE = ".well-known/core"


def _matches(value, pattern):
    """RFC 6690 query matching: exact, or a prefix when the pattern ends with `*`."""
    if pattern.endswith("*"):
        return value.startswith(pattern[:-1])
    return value == pattern


class Site:
    """Every resource of one station."""

    def __init__(self, station):
        """Build the resources of `station`."""
        self.station = station
        self.resources = resources_of(station)

    def find(self, path):
        """The resource at `path`, or None."""
        for resource in self.resources:
            if resource.name == path:
                return resource
        return None

    def discovery(self, queries):
        """(code, payload, content format, max age) of GET /.well-known/core?queries."""
        shown = self.resources
        for query in queries:
            key, _, pattern = query.partition("=")
            if key == "rt":
                shown = [r for r in shown if _matches(RT_PREFIX + r.name, pattern)]
            elif key == "href":
                shown = [r for r in shown if _matches("/" + r.name, pattern)]
        text = ",".join(resource.link() for resource in shown)
        return coap.CONTENT, text.encode(), coap.LINK_FORMAT, None

    def publish(self, observers):
        """Notify the observers of every resource whose state moved or whose heartbeat is due."""
        hal = self.station.hal
        now = hal.ticks_ms()
        heartbeat_ms = int(self.station.settings["max_age_s"] * 1000) // 2
        for resource in self.resources:
            if not resource.observable:
                continue
            state = resource.state()
            due = resource.heartbeat and (
                resource.notified_at is None
                or hal.ticks_diff(now, resource.notified_at) >= heartbeat_ms
            )
            if not (due or resource.changed(resource.notified_state, state)):
                continue
            resource.notified_state = state
            resource.notified_at = now
            if observers.watching(resource.name):
                observers.notify(resource.name, resource.get())
