"""Under every injected fault: no agent message lost or repeated, one result per tool call, no merge without
approval, and no button left live on a decided or dead card."""

from __future__ import annotations

import pytest

from tests.faults.scenarios import SCENARIOS


SLOW = {"SIGKILL and restart"}  # twenty-one `python -m bot` processes started, killed and restarted: minutes


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.slow) if n in SLOW else n for n in SCENARIOS])
async def test_nothing_lost_nothing_twice(name, tmp_path):
    outcomes = await SCENARIOS[name](tmp_path)
    assert outcomes, "the scenario ran no incident"
    assert sum(o.faults for o in outcomes) > 0, "no fault was injected"
    for o in outcomes:
        assert o.clean, o
    assert list(tmp_path.rglob("audit.jsonl")), "the decisions' audit log is written inside the scenario's folder"
