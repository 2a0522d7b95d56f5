"""The logger the OCPP library is given: its chatter at DEBUG, its errors rate-limited."""

from __future__ import annotations

import logging

from ..ratelimit import RateLimitedLog

_LIBRARY_LOGGER = logging.getLogger(__name__.rpartition(".")[0] + ".library")


class LibraryLog:
    """The logger given to the library: its per-frame lines go to DEBUG, its errors are throttled."""

    def __init__(self, charge_point_id: str, log: RateLimitedLog) -> None:
        """Log for one charge point through ``log``."""
        self._key = (charge_point_id, "library")
        self._log = log

    def debug(self, msg: str, *args: object) -> None:
        """Log at DEBUG (the library's INFO and WARNING lines come here too)."""
        _LIBRARY_LOGGER.debug(msg, *args)

    info = warning = debug

    def error(self, msg: str, *args: object) -> None:
        """Log an error, rate-limited."""
        self._log.log(logging.ERROR, self._key, msg, *args)

    def exception(self, msg: str, *args: object) -> None:
        """Log an error with its traceback, rate-limited."""
        self._log.log(logging.ERROR, self._key, msg, *args, exc_info=True)
