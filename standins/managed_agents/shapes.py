"""Resolve create/update parameters into the response shapes of agents and environments."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .errors import invalid
from .validate import check_keys

__all__ = ["model_config", "tools", "skills", "mcp_servers", "environment_config", "policy_of", "TOOLSET"]

TOOLSET = "agent_toolset_20260401"
BUILTIN_TOOLS = ("bash", "edit", "read", "write", "glob", "grep", "web_fetch", "web_search")
_POLICIES = ("always_allow", "always_ask", "auto")
_EFFORTS = ("low", "medium", "high", "xhigh", "max")
_TOOL_EXTRAS = {
    "web_search": ("allowed_domains", "blocked_domains", "user_location"),
    "web_fetch": ("url_sources", "allowed_domains", "blocked_domains", "max_content_tokens"),
}


def model_config(value: object) -> dict[str, Any]:
    """A model string or model_config object, resolved as the API stores it."""
    if isinstance(value, str) and value:
        value = {"id": value}
    if not isinstance(value, dict) or not isinstance(value.get("id"), str):
        raise invalid("model: expected a model id string or an object with `id`")
    check_keys(value, ("id", "effort", "inference_geo", "speed"), "model")
    effort = value.get("effort") or "high"
    effort = effort.get("type") if isinstance(effort, dict) else effort
    if effort not in _EFFORTS:
        raise invalid(f"model.effort: expected one of {', '.join(_EFFORTS)}")
    speed = value.get("speed") or "standard"
    if speed not in ("standard", "fast"):
        raise invalid("model.speed: expected 'standard' or 'fast'")
    return {"id": value["id"], "effort": {"type": effort}, "inference_geo": value.get("inference_geo"), "speed": speed}


def _policy(value: object, default: dict[str, str], where: str) -> dict[str, str]:
    if value is None:
        return dict(default)
    if not isinstance(value, dict) or value.get("type") not in _POLICIES:
        raise invalid(f"{where}.permission_policy: expected type one of {', '.join(_POLICIES)}")
    return {"type": value["type"]}


def _default_config(value: object, policy: str, where: str) -> dict[str, Any]:
    value = value or {}
    if not isinstance(value, dict):
        raise invalid(f"{where}.default_config: expected an object")
    check_keys(value, ("enabled", "permission_policy"), f"{where}.default_config")
    enabled = value.get("enabled")
    return {
        "enabled": True if enabled is None else bool(enabled),
        "permission_policy": _policy(value.get("permission_policy"), {"type": policy}, f"{where}.default_config"),
    }


def _toolset(tool: Mapping[str, Any], where: str) -> dict[str, Any]:
    check_keys(tool, ("type", "configs", "default_config"), where)
    default = _default_config(tool.get("default_config"), "always_allow", where)
    configs = []
    for i, config in enumerate(tool.get("configs") or []):
        name = config.get("name") if isinstance(config, dict) else None
        if name not in BUILTIN_TOOLS or config.get("type", name) != name:
            raise invalid(f"{where}.configs[{i}].name: expected one of {', '.join(BUILTIN_TOOLS)}")
        extras = _TOOL_EXTRAS.get(name, ())
        check_keys(config, ("name", "type", "enabled", "permission_policy", *extras), f"{where}.configs[{i}]")
        enabled = config.get("enabled")
        configs.append({
            "name": name,
            "type": name,
            "enabled": default["enabled"] if enabled is None else bool(enabled),
            "permission_policy": _policy(config.get("permission_policy"), default["permission_policy"], where),
            **{key: config[key] for key in extras if key in config},
        })
    return {"type": TOOLSET, "default_config": default, "configs": configs}


def _mcp_toolset(tool: Mapping[str, Any], where: str) -> dict[str, Any]:
    check_keys(tool, ("type", "mcp_server_name", "configs", "default_config"), where)
    if not isinstance(tool.get("mcp_server_name"), str):
        raise invalid(f"{where}.mcp_server_name: Field required")
    default = _default_config(tool.get("default_config"), "always_ask", where)
    configs = []
    for config in tool.get("configs") or []:
        check_keys(config, ("name", "enabled", "permission_policy"), f"{where}.configs")
        enabled = config.get("enabled")
        configs.append({
            "name": str(config.get("name")),
            "enabled": default["enabled"] if enabled is None else bool(enabled),
            "permission_policy": _policy(config.get("permission_policy"), default["permission_policy"], where),
        })
    return {"type": "mcp_toolset", "mcp_server_name": tool["mcp_server_name"], "default_config": default,
            "configs": configs}


def _custom_tool(tool: Mapping[str, Any], where: str) -> dict[str, Any]:
    check_keys(tool, ("type", "name", "description", "input_schema"), where)
    schema = tool.get("input_schema")
    if not isinstance(tool.get("name"), str) or not isinstance(tool.get("description"), str):
        raise invalid(f"{where}: custom tools need `name` and `description` strings")
    if not isinstance(schema, dict) or schema.get("type") != "object":
        raise invalid(f"{where}.input_schema: expected a JSON Schema object with type 'object'")
    return {"type": "custom", "name": tool["name"], "description": tool["description"], "input_schema": schema}


def tools(value: object) -> list[dict[str, Any]]:
    """The agent's tools, each resolved with its defaults."""
    out = []
    for i, tool in enumerate(value or []):
        where = f"tools[{i}]"
        kind = tool.get("type") if isinstance(tool, dict) else None
        if kind == TOOLSET:
            out.append(_toolset(tool, where))
        elif kind == "mcp_toolset":
            out.append(_mcp_toolset(tool, where))
        elif kind == "custom":
            out.append(_custom_tool(tool, where))
        else:
            raise invalid(f"{where}.type: expected {TOOLSET}, mcp_toolset or custom, got {kind!r}")
    names = [t["name"] for t in out if t["type"] == "custom"]
    if len(names) != len(set(names)):
        raise invalid("tools: custom tool names must be unique")
    return out


def skills(value: object, latest: Mapping[str, str]) -> list[dict[str, Any]]:
    """The agent's skills; a custom skill without a version pins the latest one (`latest` maps id -> version)."""
    out = []
    for i, skill in enumerate(value or []):
        if not isinstance(skill, dict) or skill.get("type") not in ("anthropic", "custom"):
            raise invalid(f"skills[{i}].type: expected 'anthropic' or 'custom'")
        check_keys(skill, ("type", "skill_id", "version"), f"skills[{i}]")
        skill_id = skill.get("skill_id")
        if skill["type"] == "custom" and skill_id not in latest:
            raise invalid(f"skills[{i}].skill_id: no skill {skill_id!r}")
        version = skill.get("version") or latest.get(str(skill_id), "latest")
        out.append({"type": skill["type"], "skill_id": skill_id, "version": version})
    return out


def mcp_servers(value: object) -> list[dict[str, Any]]:
    """The agent's MCP server definitions."""
    out = []
    for i, server in enumerate(value or []):
        if not isinstance(server, dict) or server.get("type") != "url":
            raise invalid(f"mcp_servers[{i}].type: expected 'url'")
        check_keys(server, ("type", "name", "url"), f"mcp_servers[{i}]")
        out.append({"type": "url", "name": str(server.get("name")), "url": str(server.get("url"))})
    return out


def environment_config(value: object) -> dict[str, Any]:
    """A `cloud` environment config with its defaults filled in."""
    value = value or {"type": "cloud"}
    if not isinstance(value, dict) or value.get("type") != "cloud":
        raise invalid("config.type: the stand-in supports only 'cloud' environments")
    check_keys(value, ("type", "networking", "packages"), "config")
    networking = value.get("networking") or {"type": "unrestricted"}
    if networking.get("type") == "limited":
        networking = {
            "type": "limited",
            "allow_mcp_servers": bool(networking.get("allow_mcp_servers")),
            "allow_package_managers": bool(networking.get("allow_package_managers")),
            "allowed_hosts": list(networking.get("allowed_hosts") or []),
        }
    elif networking.get("type") != "unrestricted":
        raise invalid("config.networking.type: expected 'unrestricted' or 'limited'")
    packages = value.get("packages") or {}
    managers = ("apt", "cargo", "gem", "go", "npm", "pip")
    check_keys(packages, (*managers, "type"), "config.packages")
    return {
        "type": "cloud",
        "networking": networking,
        "packages": {"type": "packages", **{m: list(packages.get(m) or []) for m in managers}},
    }


def policy_of(agent: Mapping[str, Any], tool_name: str) -> str | None:
    """The permission policy type for a built-in tool, or None if the agent has it disabled."""
    for tool in agent.get("tools", []):
        if tool.get("type") != TOOLSET:
            continue
        config = next((c for c in tool["configs"] if c["name"] == tool_name), tool["default_config"])
        return config["permission_policy"]["type"] if config["enabled"] else None
    return "always_allow"  # no toolset configured: the brain is ours, let it run
