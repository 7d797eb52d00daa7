"""The gate is tested inside a real bot against the stand-ins: the end-to-end tests' world."""

from tests.e2e.conftest import work_dir, world  # noqa: F401  (fixtures)
