"""Test support: real servers (Prometheus, Alertmanager, Redis) and a metrics exporter the test controls."""
