"""Pure domain model of ev_v2g: stations, allocation, ledger, billing (no Home Assistant here)."""
