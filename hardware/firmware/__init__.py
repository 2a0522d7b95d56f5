"""MicroPython firmware of a DIY ev_v2g charging station (ESP32, Raspberry Pi Pico W).

Speaks the CoAP station contract (DESIGN.md section 5) with its own small CoAP server, switches a
relay, meters current with a CT, and runs on CPython too with the simulated HAL (`hal_sim`).
"""
