"""Incidents: the registry of runs, the opener, the run factory, recovery after a restart, and alert intake."""
