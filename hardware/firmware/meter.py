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
    """Energy imported and exported since boot, and over the station's life, in millijoules.

    /energy reports the counters since boot: ev_v2g's meter reads a counter that falls after a
    restart as a reset and adds it whole, so a restored counter a little behind what Home
    Assistant last saw would be counted twice. The lifetime totals are saved to flash instead.
    """

    def __init__(self):
        """Start from zero; restore() brings back the lifetime totals saved before a reboot."""
        self.import_mj = 0
        self.export_mj = 0
        self.lifetime_base_import_mj = 0
        self.lifetime_base_export_mj = 0

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
        """Imported energy since boot as Wh text, e.g. '1234.567'."""
        return wh_text(self.import_mj)

    def export_wh(self):
        """Exported energy since boot as Wh text."""
        return wh_text(self.export_mj)

    def lifetime_mj(self):
        """(imported, exported) over the station's life, in millijoules."""
        return (
            self.lifetime_base_import_mj + self.import_mj,
            self.lifetime_base_export_mj + self.export_mj,
        )

    def to_json(self):
        """What is saved to flash: the lifetime totals."""
        imported, exported = self.lifetime_mj()
        return json.dumps({"import_mj": imported, "export_mj": exported})

    def restore(self, text):
        """Take saved lifetime totals back; a damaged file is ignored and counting goes on.

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
        self.lifetime_base_import_mj = max(self.lifetime_base_import_mj, imported)
        self.lifetime_base_export_mj = max(self.lifetime_base_export_mj, exported)
        return True
