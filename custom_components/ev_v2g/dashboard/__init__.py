"""The dashboard the integration builds for each site."""
