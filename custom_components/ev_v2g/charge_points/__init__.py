"""The site's OCPP charge points: who may connect, what they are sent, what is kept."""
