"""REST handlers for agents (with versions) and environments."""

from __future__ import annotations

import copy
from typing import Any

from aiohttp import web

from . import shapes
from .clock import new_id, parse_time
from .errors import ApiError, invalid
from .paging import paginate, parse_limit
from .store import Registry
from .validate import check_keys, json_body, metadata, opt_str, query_bool, req_str, time_filters, passes

__all__ = ["CatalogApi"]

_AGENT_FIELDS = ("model", "name", "description", "execution_identity", "mcp_servers", "metadata",
                 "multiagent", "skills", "system", "tools")
_ENV_FIELDS = ("name", "config", "description", "metadata", "scope")


def _identity(value: object) -> dict[str, str]:
    if value is None or value == {"type": "service_account"}:
        return {"type": "service_account"}
    raise invalid("execution_identity: the stand-in supports only {'type': 'service_account'}")


def _check_mcp(agent: dict[str, Any]) -> None:
    used = {t["mcp_server_name"] for t in agent["tools"] if t["type"] == "mcp_toolset"}
    names = [s["name"] for s in agent["mcp_servers"]]
    if len(names) != len(set(names)) or set(names) - used or used - set(names):
        raise invalid("mcp_servers: names must be unique and each referenced by exactly the mcp_toolset tools")


def _json(data: object, status: int = 200) -> web.Response:
    return web.json_response(data, status=status)


class CatalogApi:
    """Agents and environments, stored in a Registry."""

    def __init__(self, registry: Registry) -> None:
        self.reg = registry

    def routes(self) -> list[web.RouteDef]:
        """The aiohttp routes this API serves."""
        return [
            web.post("/v1/agents", self._create_agent),
            web.get("/v1/agents", self._list_agents),
            web.get("/v1/agents/{id}", self._get_agent),
            web.post("/v1/agents/{id}", self._update_agent),
            web.post("/v1/agents/{id}/archive", self._archive_agent),
            web.get("/v1/agents/{id}/versions", self._agent_versions),
            web.post("/v1/environments", self._create_env),
            web.get("/v1/environments", self._list_envs),
            web.get("/v1/environments/{id}", self._get_env),
            web.post("/v1/environments/{id}", self._update_env),
            web.delete("/v1/environments/{id}", self._delete_env),
            web.post("/v1/environments/{id}/archive", self._archive_env),
        ]

    def _apply_agent_fields(self, agent: dict[str, Any], body: dict[str, Any]) -> None:
        if "model" in body:
            agent["model"] = shapes.model_config(body["model"])
        if "name" in body:
            agent["name"] = req_str(body, "name")
        for key in ("description", "system"):
            if key in body:
                agent[key] = opt_str(body, key) or None
        if "tools" in body:
            agent["tools"] = shapes.tools(body["tools"])
        if "skills" in body:
            agent["skills"] = shapes.skills(body["skills"], self.reg.latest_skill_versions())
        if "mcp_servers" in body:
            agent["mcp_servers"] = shapes.mcp_servers(body["mcp_servers"])
        if "execution_identity" in body:
            agent["execution_identity"] = _identity(body["execution_identity"])
        if body.get("multiagent") is not None:
            raise invalid("multiagent: the stand-in runs single-threaded agents only")
        if "metadata" in body:
            agent["metadata"] = metadata(body["metadata"], base=agent["metadata"])
        _check_mcp(agent)

    async def _create_agent(self, request: web.Request) -> web.Response:
        body = await json_body(request)
        check_keys(body, _AGENT_FIELDS)
        if "model" not in body:
            raise invalid("model: Field required")
        req_str(body, "name")
        now = self.reg.clock.stamp()
        agent: dict[str, Any] = {
            "id": new_id("agent"), "type": "agent", "name": "", "description": None, "system": None,
            "model": None, "tools": [], "skills": [], "mcp_servers": [], "metadata": {},
            "execution_identity": {"type": "service_account"}, "multiagent": None,
            "created_at": now, "updated_at": now, "archived_at": None, "version": 1,
        }
        self._apply_agent_fields(agent, {**body, "metadata": metadata(body.get("metadata"))})
        self.reg.agents[agent["id"]] = [agent]
        self.reg.next_seq(agent["id"])
        return _json(agent)

    async def _list_agents(self, request: web.Request) -> web.Response:
        q = request.query
        archived, filters = query_bool(q, "include_archived"), time_filters(q)
        items = [v[-1] for v in self.reg.agents.values()
                 if (archived or not v[-1]["archived_at"]) and passes(parse_time(v[0]["created_at"]), filters)]
        items.reverse()
        page = paginate(items, key=lambda a: self.reg.seqs[a["id"]], order="desc",
                        limit=parse_limit(q), page=q.get("page"))
        return _json(page.body(lambda a: a))

    async def _get_agent(self, request: web.Request) -> web.Response:
        raw = request.query.get("version")
        if raw is not None and not raw.isdigit():
            raise invalid("version: expected a positive integer")
        return _json(self.reg.agent(request.match_info["id"], int(raw) if raw else None))

    async def _update_agent(self, request: web.Request) -> web.Response:
        current = self.reg.agent(request.match_info["id"])
        body = await json_body(request)
        check_keys(body, (*_AGENT_FIELDS, "version"))
        if current["archived_at"]:
            raise invalid("agent is archived")
        if "version" in body and body["version"] != current["version"]:
            raise ApiError(409, f"version {body['version']} does not match the agent's current version "
                           f"{current['version']}", headers={"x-should-retry": "false"})
        updated = copy.deepcopy(current)
        self._apply_agent_fields(updated, {k: v for k, v in body.items() if k != "version"})
        if updated == current:
            return _json(current)
        updated.update(version=current["version"] + 1, updated_at=self.reg.clock.stamp())
        self.reg.agents[current["id"]].append(updated)
        return _json(updated)

    async def _archive_agent(self, request: web.Request) -> web.Response:
        versions = self.reg.agents.get(request.match_info["id"]) or [self.reg.agent(request.match_info["id"])]
        stamp = self.reg.clock.stamp()
        for version in versions:
            version["archived_at"] = version["archived_at"] or stamp
        return _json(versions[-1])

    async def _agent_versions(self, request: web.Request) -> web.Response:
        self.reg.agent(request.match_info["id"])
        versions = list(reversed(self.reg.agents[request.match_info["id"]]))
        page = paginate(versions, key=lambda a: a["version"], order="desc",
                        limit=parse_limit(request.query), page=request.query.get("page"))
        return _json(page.body(lambda a: a))

    def _apply_env_fields(self, env: dict[str, Any], body: dict[str, Any]) -> None:
        if "name" in body:
            env["name"] = req_str(body, "name")
        if "description" in body:
            env["description"] = opt_str(body, "description")
        if "config" in body:
            env["config"] = shapes.environment_config(body["config"])
        if "metadata" in body:
            env["metadata"] = metadata(body["metadata"], base=env["metadata"])
        if "scope" in body:
            if body["scope"] not in (None, "organization", "account"):
                raise invalid("scope: expected 'organization' or 'account'")
            env["scope"] = body["scope"]

    async def _create_env(self, request: web.Request) -> web.Response:
        body = await json_body(request)
        check_keys(body, _ENV_FIELDS)
        req_str(body, "name")
        now = self.reg.clock.stamp()
        env: dict[str, Any] = {
            "id": new_id("env"), "type": "environment", "name": "", "description": None,
            "config": shapes.environment_config(None), "metadata": {}, "scope": None,
            "created_at": now, "updated_at": now, "archived_at": None,
        }
        self._apply_env_fields(env, {**body, "metadata": metadata(body.get("metadata"))})
        self.reg.environments[env["id"]] = env
        self.reg.next_seq(env["id"])
        return _json(env)

    async def _list_envs(self, request: web.Request) -> web.Response:
        q = request.query
        archived = query_bool(q, "include_archived")
        items = [e for e in reversed(self.reg.environments.values()) if archived or not e["archived_at"]]
        page = paginate(items, key=lambda e: self.reg.seqs[e["id"]], order="desc",
                        limit=parse_limit(q), page=q.get("page"))
        return _json(page.body(lambda e: e))

    async def _get_env(self, request: web.Request) -> web.Response:
        return _json(self.reg.environment(request.match_info["id"]))

    async def _update_env(self, request: web.Request) -> web.Response:
        env = self.reg.environment(request.match_info["id"])
        body = await json_body(request)
        check_keys(body, _ENV_FIELDS)
        updated = copy.deepcopy(env)
        self._apply_env_fields(updated, body)
        if updated != env:
            updated["updated_at"] = self.reg.clock.stamp()
            env.update(updated)
        return _json(env)

    async def _delete_env(self, request: web.Request) -> web.Response:
        env = self.reg.environment(request.match_info["id"])
        del self.reg.environments[env["id"]]
        return _json({"id": env["id"], "type": "environment_deleted"})

    async def _archive_env(self, request: web.Request) -> web.Response:
        env = self.reg.environment(request.match_info["id"])
        env["archived_at"] = env["archived_at"] or self.reg.clock.stamp()
        return _json(env)
