"""Prometheus-style alert text shared by Alertmanager and Grafana: `[FIRING:n]` titles, label lists, services."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.alerts.slack import clean

__all__ = ["StatusTitle", "parse_status_title", "parse_label_lists", "service_from_labels", "severity_word"]

_STATUS_TITLE = re.compile(r"\s*\[(FIRING|RESOLVED)(?::(\d{1,6}))?(?:,\s*RESOLVED:\d{1,6})?\]\s*(.*)", re.I | re.S)
_SECTION = re.compile(r"\W*(labels|details|annotations)\W*", re.I)
_BULLET = re.compile(r"\s*[-•·▪*]\s+\*?`?([A-Za-z_][A-Za-z0-9_]{0,99})`?\*?\s*(?:=|:)\s*\*?\s*(.*)")
_SERVICE_LABELS = (
    "service", "service_name", "app", "app_kubernetes_io_name", "application", "container", "deployment", "job",
)  # fmt: skip
_EXPORTERS = ("kube-state-metrics", "node-exporter", "blackbox", "prometheus", "cadvisor", "kubelet", "pushgateway")
_SEVERITIES = ("critical", "page", "error", "high", "major", "warning", "warn", "minor", "medium", "low", "info", "none")


@dataclass(frozen=True, slots=True)
class StatusTitle:
    """`[FIRING:2] alertname other-group-values (common-label values)`, taken apart."""

    status: str  # "firing" or "resolved"
    count: int
    group_values: tuple[str, ...]
    common_values: tuple[str, ...]
    rest: str  # the title after the status bracket


def parse_status_title(title: str) -> StatusTitle | None:
    """The parts of an Alertmanager/Grafana default title, or None when it has another shape."""
    m = _STATUS_TITLE.match(title[:2000])
    if not m:
        return None
    rest = " ".join(m.group(3).split())
    group, common = rest, ""
    paren = re.search(r"\(([^()]*)\)\s*$", rest)
    if paren:
        group, common = rest[: paren.start()].strip(), paren.group(1)
    return StatusTitle(
        status=m.group(1).lower(),
        count=int(m.group(2) or 0),
        group_values=tuple(group.split()),
        common_values=tuple(common.split()),
        rest=rest,
    )


def parse_label_lists(text: str) -> tuple[dict[str, str], dict[str, str]]:
    """Labels and annotations from bulleted `name = value` / `name: value` lines; names that disagree are dropped."""
    found: dict[str, dict[str, str | None]] = {"labels": {}, "annotations": {}}
    section = "labels"
    for line in text[:100_000].splitlines()[:2_000]:
        head = _SECTION.fullmatch(line)
        if head:
            section = "annotations" if head.group(1).lower() == "annotations" else "labels"
            continue
        m = _BULLET.match(line)
        if not m:
            if line.strip() and not line.startswith((" ", "\t")):
                section = "labels"  # a plain line ends an annotations list
            continue
        name, value = m.group(1), clean(m.group(2).strip().strip("`").strip())[:500]
        bucket = found[section]
        if name in bucket and bucket[name] != value:
            bucket[name] = None  # differs between alerts: not a common label
        else:
            bucket[name] = value
    labels = {k: v for k, v in found["labels"].items() if v is not None}
    annotations = {k: v for k, v in found["annotations"].items() if v is not None}
    return labels, annotations


def service_from_labels(labels: dict[str, str]) -> str:
    """The affected service named by the usual labels, skipping values that name a metrics exporter."""
    for name in _SERVICE_LABELS:
        value = labels.get(name, "")
        if value and not any(exporter in value.lower() for exporter in _EXPORTERS):
            return value
    return ""


def severity_word(values: tuple[str, ...] | list[str]) -> str:
    """The first value that is a usual severity word (critical, warning, …), or ""."""
    return next((v for v in values if v.lower() in _SEVERITIES), "")
