"""The supply is never overloaded under faults: checked against what the simulators applied."""
