"""Benchmark: the real bot against the stand-ins under load, side by side with a polling baseline."""
