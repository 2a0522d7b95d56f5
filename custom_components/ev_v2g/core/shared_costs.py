"""The building's shared costs and how they are divided among residents, in whole cents."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from fractions import Fraction
import math


def to_cents(amount: float) -> int:
    """Money in whole cents, halves away from zero as on a bill (repr avoids binary artefacts)."""
    return int(Decimal(repr(amount)).scaleb(2).to_integral_value(ROUND_HALF_UP))


class CostSplit(StrEnum):
    """How the building's shared costs are divided among residents."""

    EQUAL = "equal"
    ENERGY = "energy"
    """In proportion to each resident's imported energy (equally if nobody imported)."""


@dataclass(frozen=True)
class SharedCosts:
    """The building's costs for the period: the chargers' maintenance, the connection's power fee."""

    amount: float = 0.0
    split: CostSplit = CostSplit.EQUAL


def shared_cents(
    shared: SharedCosts, equal: Mapping[str, Fraction], imported: Mapping[str, float]
) -> dict[str, int]:
    """Each resident's share of the shared costs, in cents adding up to the amount exactly.

    `equal` weighs the residents for an equal split (by the time each lived here).
    """
    cents = to_cents(shared.amount)
    if shared.split is CostSplit.ENERGY:
        weights = {key: Fraction(wh) for key, wh in imported.items() if wh > 0}
        if weights:
            return _largest_remainder(cents, weights)
    return _largest_remainder(cents, equal)


def _largest_remainder(cents: int, weights: Mapping[str, Fraction]) -> dict[str, int]:
    """Whole cents in proportion to the weights; the cents left go to the largest remainders."""
    if not weights:
        return {}
    total = sum(weights.values(), Fraction(0))
    quotas = {key: abs(cents) * weight / total for key, weight in weights.items()}
    shares = {key: math.floor(quota) for key, quota in quotas.items()}
    left = abs(cents) - sum(shares.values())
    # Ties go to the smaller key, so the same inputs always give the same cents.
    for key in sorted(quotas, key=lambda key: (shares[key] - quotas[key], key))[:left]:
        shares[key] += 1
    sign = -1 if cents < 0 else 1
    return {key: sign * share for key, share in shares.items()}
