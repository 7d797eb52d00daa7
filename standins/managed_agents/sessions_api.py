"""REST handlers for sessions and their events, and the SSE event stream."""

from __future__ import annotations

import asyncio
import copy
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from aiohttp import web

from . import shapes
from .clock import new_id, parse_time
from .errors import invalid, not_found
from .mounts import MAX_FILES, file_resource, scoped_copies
from .paging import paginate, parse_limit, parse_order
from .pricing import check_budget
from .repositories import RepositoryMount, clone, parse_repository
from .sandbox import Sandbox
from .session import STATUSES, Session
from .sse import serve_stream, wire_json
from .validate import check_keys, json_body, metadata, passes, query_bool, query_list, time_filters, title

if TYPE_CHECKING:
    from .server import ManagedAgentsStandin

__all__ = ["SessionsApi"]

_CREATE = ("agent", "environment_id", "budget", "initial_events", "metadata", "resources", "title", "vault_ids")
_SNAPSHOT = ("id", "type", "version", "name", "description", "system", "model", "tools", "skills",
             "mcp_servers", "execution_identity", "multiagent")
_OVERRIDES = ("tools", "mcp_servers", "model", "skills", "system")


class SessionsApi:
    """Sessions, events (list, send) and the live stream, over the stand-in's state."""

    def __init__(self, hub: ManagedAgentsStandin) -> None:
        self.hub = hub
        self.reg = hub.registry

    def routes(self) -> list[web.RouteDef]:
        """The aiohttp routes this API serves."""
        return [
            web.post("/v1/sessions", self._create),
            web.get("/v1/sessions", self._list),
            web.get("/v1/sessions/{id}", self._retrieve),
            web.post("/v1/sessions/{id}", self._update),
            web.delete("/v1/sessions/{id}", self._delete),
            web.post("/v1/sessions/{id}/archive", self._archive),
            web.get("/v1/sessions/{id}/events", self._list_events),
            web.post("/v1/sessions/{id}/events", self._send_events),
            web.get("/v1/sessions/{id}/events/stream", self._stream),
        ]

    def _session(self, request: web.Request) -> Session:
        session = self.hub.sessions.get(request.match_info["id"])
        if session is None or session.deleted:
            raise not_found(f"session {request.match_info['id']!r} not found")
        return session

    def _agent_snapshot(self, ref: object) -> dict[str, Any]:
        if isinstance(ref, str):
            agent = self.reg.agent(ref)
        elif isinstance(ref, dict) and ref.get("type") in ("agent", "agent_with_overrides"):
            overrides = _OVERRIDES if ref["type"] == "agent_with_overrides" else ()
            check_keys(ref, ("type", "id", "version", *overrides), "agent")
            version = ref.get("version")
            if version is not None and (not isinstance(version, int) or version < 1):
                raise invalid("agent.version: expected a positive integer")
            agent = copy.deepcopy(self.reg.agent(str(ref.get("id")), version))
            if "tools" in ref:
                agent["tools"] = shapes.tools(ref["tools"])
            if "mcp_servers" in ref:
                agent["mcp_servers"] = shapes.mcp_servers(ref["mcp_servers"])
            if "model" in ref:
                agent["model"] = shapes.model_config(ref["model"])
            if "skills" in ref:
                agent["skills"] = shapes.skills(ref["skills"], self.reg.latest_skill_versions())
            if "system" in ref:
                agent["system"] = ref["system"]
        else:
            raise invalid("agent: expected an agent id or an object with type 'agent' and `id`")
        if agent["archived_at"]:
            raise invalid(f"agent {agent['id']} is archived")
        return {key: copy.deepcopy(agent[key]) for key in _SNAPSHOT}

    def _resources(self, value: object) -> tuple[list[dict[str, Any]], dict[str, bytes], list[RepositoryMount]]:
        resources, files, repositories, now = [], {}, [], self.reg.clock.stamp()
        mounted: set[str] = set()
        for i, item in enumerate(value or []):
            if not isinstance(item, dict) or item.get("type") not in ("file", "github_repository"):
                raise invalid(f"resources[{i}].type: the stand-in mounts only 'file' and 'github_repository' resources")
            if item["type"] == "github_repository":
                if not self.hub.github_url:
                    raise invalid(f"resources[{i}]: this stand-in was started without a GitHub to clone from "
                                  "(ManagedAgentsStandin(github_url=...))")  # fmt: skip
                repo = parse_repository(item, f"resources[{i}]")
                taken = [*files, *mounted]
                if any(_overlap(repo.mount_path, m) for m in taken):
                    raise invalid(f"resources[{i}].mount_path: {repo.mount_path} is already mounted")
                mounted.add(repo.mount_path)
                repositories.append(repo)
                resources.append(repo.wire(new_id("sesrsc"), now))
                continue
            resource, content = file_resource(item, f"resources[{i}]", self.reg, prefix=self.hub.mount_prefix)
            mount = resource["mount_path"]
            if mount in files or any(_overlap(mount, m) for m in mounted):
                raise invalid(f"resources[{i}].mount_path: {mount} is already mounted")
            if len(files) == MAX_FILES:
                raise invalid(f"resources: at most {MAX_FILES} files can be mounted in a session")
            files[mount] = content
            resources.append(resource)
        return resources, files, repositories

    async def _clone(self, repositories: list[RepositoryMount], sandbox: Sandbox,
                     files: dict[str, bytes]) -> tuple[dict[str, str], list[dict[str, Any]]]:  # fmt: skip
        """Clone each repository into the sandbox (its files join `files`); (mount path -> url, the clone errors)."""
        cloned, errors = {}, []
        for repo in repositories:
            target = sandbox.local(repo.mount_path)
            assert target is not None  # parse_repository kept it under a mounted root
            error = await clone(repo, target, github_url=self.hub.github_url or "")
            if error is not None:
                errors.append(error)
                continue
            cloned[repo.mount_path] = repo.url
            files.update(await asyncio.to_thread(_read_tree, target, repo.mount_path))
        return cloned, errors

    async def _create(self, request: web.Request) -> web.Response:
        body = await json_body(request)
        check_keys(body, _CREATE)
        if "agent" not in body or not isinstance(body.get("environment_id"), str):
            raise invalid("agent and environment_id: Field required")
        agent = self._agent_snapshot(body["agent"])
        env = self.reg.environment(body["environment_id"])
        if env["archived_at"]:
            raise invalid(f"environment {env['id']} is archived")
        if body.get("vault_ids"):
            raise invalid("vault_ids are not supported by the stand-in")
        budget = check_budget(body.get("budget"), agent["model"] or {})
        meta, session_title = metadata(body.get("metadata")), title(body.get("title"))
        resources, files, repositories = self._resources(body.get("resources"))
        initial = body.get("initial_events") or []
        if any(not isinstance(e, dict) or e.get("type") != "user.message" for e in initial) or len(initial) > 50:
            raise invalid("initial_events: the stand-in accepts at most 50 user.message events")
        sandbox = await Sandbox.create(files)
        cloned, errors = await self._clone(repositories, sandbox, files)
        session = self.hub.open_session(agent=agent, environment_id=env["id"], metadata=meta, title=session_title,
                                        resources=resources, files=files, sandbox=sandbox, repositories=cloned,
                                        mount_errors=errors, budget=budget)  # fmt: skip
        scoped_copies(session.resources, self.reg, session.id)
        if initial:
            session.runner.accept(initial)  # type: ignore[union-attr]
        return web.json_response(session.wire())

    async def _list(self, request: web.Request) -> web.Response:
        q = request.query
        statuses = query_list(q, "statuses")
        if bad := [s for s in statuses if s not in STATUSES]:
            raise invalid(f"statuses: unknown status {bad[0]!r}; expected one of {', '.join(STATUSES)}")
        agent_id, version = q.get("agent_id"), q.get("agent_version")
        archived, filters = query_bool(q, "include_archived"), time_filters(q)
        unmatchable = "deployment_id" in q or "memory_store_id" in q  # no session here has either
        items = [s for s in self.hub.sessions.values() if not s.deleted and not unmatchable
                 and (archived or not s.archived_at) and (not statuses or s.status in statuses)
                 and (not agent_id or s.agent["id"] == agent_id)
                 and (not agent_id or not version or str(s.agent["version"]) == version)
                 and passes(parse_time(s.created_at), filters)]
        order = parse_order(q, "desc")
        if order == "desc":
            items.reverse()
        page = paginate(items, key=lambda s: self.reg.seqs[s.id], order=order, limit=parse_limit(q),
                        page=q.get("page"))
        return web.json_response(page.body(lambda s: s.wire(), bidirectional=True))

    async def _retrieve(self, request: web.Request) -> web.Response:
        return web.json_response(self._session(request).wire())

    async def _update(self, request: web.Request) -> web.Response:
        session = self._session(request)
        body = await json_body(request)
        check_keys(body, ("agent", "budget", "metadata", "title", "vault_ids"))
        if body.get("budget") is not None:
            raise invalid("budget: budget_create_only: a budget cannot be added to a session created without one")
        if "vault_ids" in body:
            raise invalid("vault_ids: not yet supported")
        meta = metadata(body["metadata"], base=session.metadata) if "metadata" in body else session.metadata
        new_title = title(body["title"]) if "title" in body else session.title
        agent = body.get("agent")
        if agent is not None:
            if session.status in ("running", "rescheduling"):
                raise invalid("agent: the session must not be running")
            check_keys(agent, ("tools", "mcp_servers"), "agent")
            updated = dict(session.agent)
            if "tools" in agent:
                updated["tools"] = shapes.tools(agent["tools"])
            if "mcp_servers" in agent:
                updated["mcp_servers"] = shapes.mcp_servers(agent["mcp_servers"])
            session.agent = updated
        session.metadata, session.title = meta, new_title
        session.updated_at = self.reg.clock.stamp()
        return web.json_response(session.wire())

    async def _delete(self, request: web.Request) -> web.Response:
        session = self._session(request)
        await self.hub.delete_session(session)
        return web.json_response({"id": session.id, "type": "session_deleted"})

    async def _archive(self, request: web.Request) -> web.Response:
        session = self._session(request)
        if session.status in ("running", "rescheduling"):
            raise invalid(f"session {session.id} is {session.status}; it can be archived once idle")
        session.archived_at = session.archived_at or self.reg.clock.stamp()
        return web.json_response(session.wire())

    async def _list_events(self, request: web.Request) -> web.Response:
        session, q = self._session(request), request.query
        types, filters = set(query_list(q, "types")), time_filters(q)
        items = [(i, e) for i, e in enumerate(session.events)
                 if (not types or e["type"] in types) and (not filters or _processed_passes(e, filters))]
        order = parse_order(q, "asc")
        if order == "desc":
            items.reverse()
        page = paginate(items, key=lambda pair: pair[0], order=order, limit=parse_limit(q), page=q.get("page"))
        return web.json_response(page.body(lambda pair: pair[1]), dumps=wire_json)

    async def _send_events(self, request: web.Request) -> web.Response:
        session = self._session(request)
        body = await json_body(request)
        check_keys(body, ("events",))
        if session.archived_at:
            raise invalid(f"session {session.id} is archived")
        return web.json_response({"data": session.runner.accept(body.get("events"))})  # type: ignore[union-attr]

    async def _stream(self, request: web.Request) -> web.StreamResponse:
        session = self._session(request)
        # event_deltas previews are best-effort in the API; the stand-in sends only whole events.
        queue = session.subscribe()
        try:
            return await serve_stream(request, queue, ping_interval=self.hub.ping_interval,
                                      cut_every=lambda: self.hub.cut_every)
        finally:
            session.unsubscribe(queue)


def _overlap(a: str, b: str) -> bool:
    """Whether one mount path is the other or lies inside it."""
    return PurePosixPath(a).is_relative_to(b) or PurePosixPath(b).is_relative_to(a)


def _read_tree(folder: Path, mount_path: str) -> dict[str, bytes]:
    """mount path -> bytes of every file of a cloned repository (its .git folder left out)."""
    return {f"{mount_path}/{p.relative_to(folder).as_posix()}": p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and ".git" not in p.relative_to(folder).parts}  # fmt: skip


def _processed_passes(event: dict[str, Any], filters: list) -> bool:
    try:
        return passes(parse_time(event["processed_at"]), filters)
    except (TypeError, ValueError):
        return False
