"""Retry-After is read whole (slack_sdk's own handler reads one character of it under aiohttp)."""

from multidict import CIMultiDict

from bot.slack_retry import retry_after_seconds


def test_retry_after_is_read_whole_from_aiohttp_headers():
    assert retry_after_seconds(CIMultiDict({"Retry-After": "30"})) == 30.0
    assert retry_after_seconds({"retry-after": ["12"]}) == 12.0


def test_missing_or_odd_retry_after_waits_a_second_and_huge_values_are_capped():
    assert retry_after_seconds(CIMultiDict({})) == 1.0
    assert retry_after_seconds(CIMultiDict({"Retry-After": "soon"})) == 1.0
    assert retry_after_seconds(CIMultiDict({"Retry-After": "86400"})) == 300.0
