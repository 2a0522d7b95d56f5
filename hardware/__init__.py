"""Hardware around ev_v2g: simulated charging stations and the firmware of real ones."""
