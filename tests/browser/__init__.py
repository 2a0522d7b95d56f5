"""The demo's dashboard in a real browser."""
