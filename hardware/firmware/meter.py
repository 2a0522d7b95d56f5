"""Current from the CT and energy from the current.

RMS of ADC samples over whole mains cycles, the calibration line, and import/export counters
kept in integer millijoules: the boards' floats are single precision and cannot hold a meter.
"""

import json
import math

MJ_PER_WH = 3600000


def rms_reading(count, total, total_squares):
    """RMS of the samples around their own mean, in ADC counts.

    The mean is the bias the divider adds (mid-rail), so it is taken out rather than assumed.
    Integer arithmetic up to the square root keeps single-precision boards exact.
    """
    if count < 2:
        return 0.0
    spread = count * total_squares - total * total
    if spread <= 0:
        return 0.0
    return math.sqrt(spread) / count


def amperes(reading, slope, intercept):
    """Current the calibration line gives for a reading; never negative (noise floor)."""
    value = slope * reading + intercept
    return value if value > 0 else 0.0


def wh_text(millijoules):
    """Watt-hours with three decimals, printed from the integer so no precision is lost."""
    return "%d.%03d" % (millijoules // MJ_PER_WH, (millijoules % MJ_PER_WH) // 3600)


class EnergyCounter:
    """Energy imported and exported, in millijoules; both only ever increase."""

    def __init__(self):
        """Start from zero; restore() brings back what was saved before a reboot."""
        self.import_mj = 0
        self.export_mj = 0

    def add(self, power_w, dt_ms):
        """Count `power_w` (negative = export) held for `dt_ms` milliseconds."""
        if dt_ms <= 0:
            return
        energy = round(power_w * dt_ms)  # W x ms = mJ
        if energy > 0:
            self.import_mj += energy
        elif energy < 0:
            self.export_mj -= energy

    def import_wh(self):
        """Imported energy as Wh text, e.g. '1234.567'."""
        return wh_text(self.import_mj)

    def export_wh(self):
        """Exported energy as Wh text."""
        return wh_text(self.export_mj)

    def to_json(self):
        """What is saved to flash."""
        return json.dumps({"import_mj": self.import_mj, "export_mj": self.export_mj})

    def restore(self, text):
        """Take saved counters back; a damaged file is ignored and counting goes on.

        Returns:
            Whether the file could be read.
        """
        try:
            saved = json.loads(text)
            imported = int(saved["import_mj"])
            exported = int(saved["export_mj"])
        except (ValueError, KeyError, TypeError):
            return False
        # Never step back, even if an older file turns up.
        self.import_mj = max(self.import_mj, imported)
        self.export_mj = max(self.export_mj, exported)
        return True
