"""End-to-end tests of OCPP charge points: the simulated charge point over real WebSockets."""
