"""CoAP transport: client, observations and payloads of the station contract."""
