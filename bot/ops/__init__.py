"""Running the bot as a service: health and readiness, metrics, a bounded shutdown."""
