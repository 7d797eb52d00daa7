"""REST handlers for the Files API (multipart upload, download) and Skills (multipart, versions)."""

from __future__ import annotations

import mimetypes
from datetime import datetime, timedelta, timezone
from typing import Any

from aiohttp import web
from aiohttp.web_request import FileField

from .clock import iso, new_id
from .errors import invalid, not_found
from .paging import paginate, parse_limit
from .store import Registry, StoredFile, StoredSkill
from .validate import query_list

__all__ = ["FilesSkillsApi", "frontmatter"]

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def frontmatter(text: str) -> dict[str, str]:
    """The `key: value` pairs of a SKILL.md front matter block."""
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        return {}
    out = {}
    for line in lines[1:]:
        if line.strip() == "---":
            break
        key, sep, value = line.partition(":")
        if sep:
            out[key.strip()] = value.strip().strip("\"'")
    return out


def _file_parts(form: Any) -> dict[str, bytes]:
    parts = [*form.getall("files[]", []), *form.getall("files", [])]
    files = {p.filename: p.file.read() for p in parts if isinstance(p, FileField)}
    if not files:
        raise invalid("files: at least one file part (named by its path) is required")
    return files


def _skill_version(skill_id: str, files: dict[str, bytes], created: datetime) -> dict[str, Any]:
    tops = {path.strip("/").split("/", 1)[0] for path in files}
    if len(tops) != 1 or any("/" not in path.strip("/") for path in files):
        raise invalid("files: every file must sit in one top-level folder, e.g. my-skill/SKILL.md")
    top = tops.pop()
    skill_md = files.get(f"{top}/SKILL.md")
    if skill_md is None:
        raise invalid(f"files: {top}/SKILL.md is required")
    meta = frontmatter(skill_md.decode("utf-8", "replace"))
    return {
        # The API's version ids are microsecond epoch timestamps; the stand-in's clock never repeats one.
        "id": str((created - _EPOCH) // timedelta(microseconds=1)), "type": "skill_version", "skill_id": skill_id,
        "name": meta.get("name") or top, "description": meta.get("description", ""), "created_at": iso(created),
    }


class FilesSkillsApi:
    """Files and custom skills, stored in a Registry."""

    def __init__(self, registry: Registry) -> None:
        self.reg = registry

    def routes(self) -> list[web.RouteDef]:
        """The aiohttp routes this API serves."""
        return [
            web.post("/v1/files", self._upload),
            web.get("/v1/files", self._list_files),
            web.get("/v1/files/{id}", self._file_meta),
            web.delete("/v1/files/{id}", self._delete_file),
            web.get("/v1/files/{id}/content", self._download),
            web.post("/v1/skills", self._create_skill),
            web.get("/v1/skills", self._list_skills),
            web.get("/v1/skills/{id}", self._get_skill),
            web.delete("/v1/skills/{id}", self._delete_skill),
            web.post("/v1/skills/{id}/versions", self._create_version),
            web.get("/v1/skills/{id}/versions", self._list_versions),
            web.get("/v1/skills/{id}/versions/{version}", self._get_version),
        ]

    async def _form(self, request: web.Request) -> Any:
        if not request.content_type.startswith("multipart/form-data"):
            raise invalid("expected a multipart/form-data body")
        return await request.post()

    async def _upload(self, request: web.Request) -> web.Response:
        form = await self._form(request)
        part = form.get("file")
        if not isinstance(part, FileField):
            raise invalid("file: Field required (a file part named 'file')")
        content = part.file.read()
        now = self.reg.clock.now()
        expires = form.get("expires_in_seconds")
        mime = part.content_type if part.content_type not in (None, "application/octet-stream") else None
        meta = {
            "id": new_id("file"), "type": "file", "filename": part.filename, "size_bytes": len(content),
            "mime_type": mime or mimetypes.guess_type(part.filename)[0] or "application/octet-stream",
            "created_at": iso(now), "downloadable": True, "scope": None,
            "expires_at": iso(now + timedelta(seconds=int(expires))) if expires else None,
        }
        self.reg.files[meta["id"]] = StoredFile(meta, content, self.reg.next_seq(meta["id"]))
        return web.json_response(meta)

    async def _list_files(self, request: web.Request) -> web.Response:
        q = request.query
        ids = set(query_list(q, "ids"))
        if ids and ("limit" in q or "page" in q):
            raise invalid("ids: mutually exclusive with page and limit")
        if len(ids) > 100:
            raise invalid("ids: at most 100 entries")
        scope = q.get("scope_id")
        items = [f for f in reversed(self.reg.files.values())
                 if (not ids or f.meta["id"] in ids) and (not scope or (f.meta["scope"] or {}).get("id") == scope)]
        limit = max(len(items), 1) if ids else parse_limit(q)  # ids: always one page
        page = paginate(items, key=lambda f: f.seq, order="desc", limit=limit, page=q.get("page"))
        return web.json_response(page.body(lambda f: f.meta))

    async def _file_meta(self, request: web.Request) -> web.Response:
        return web.json_response(self.reg.file(request.match_info["id"]).meta)

    async def _delete_file(self, request: web.Request) -> web.Response:
        stored = self.reg.file(request.match_info["id"])
        del self.reg.files[stored.meta["id"]]
        return web.json_response({"id": stored.meta["id"], "type": "file_deleted"})

    async def _download(self, request: web.Request) -> web.Response:
        stored = self.reg.file(request.match_info["id"])
        return web.Response(body=stored.content, content_type=stored.meta["mime_type"])

    async def _create_skill(self, request: web.Request) -> web.Response:
        form = await self._form(request)
        files = _file_parts(form)
        skill_id, now = new_id("skill"), self.reg.clock.now()
        version = _skill_version(skill_id, files, now)
        display = form.get("display_name")
        skill = {
            "id": skill_id, "type": "skill", "display_name": display if isinstance(display, str) and display
            else version["name"], "latest_version_id": version["id"], "source": {"type": "custom"},
            "created_at": iso(now), "updated_at": iso(now),
        }
        self.reg.skills[skill_id] = StoredSkill(skill, [version], {version["id"]: files}, self.reg.next_seq(skill_id))
        return web.json_response(skill)

    async def _list_skills(self, request: web.Request) -> web.Response:
        q = request.query
        source = q.get("source")
        items = [s for s in reversed(self.reg.skills.values()) if source in (None, "custom")]
        page = paginate(items, key=lambda s: s.seq, order="desc", limit=parse_limit(q), page=q.get("page"))
        return web.json_response(page.body(lambda s: s.skill))

    async def _get_skill(self, request: web.Request) -> web.Response:
        return web.json_response(self.reg.skill(request.match_info["id"]).skill)

    async def _delete_skill(self, request: web.Request) -> web.Response:
        stored = self.reg.skill(request.match_info["id"])
        del self.reg.skills[stored.skill["id"]]
        return web.json_response({"id": stored.skill["id"], "type": "skill_deleted"})

    async def _create_version(self, request: web.Request) -> web.Response:
        stored = self.reg.skill(request.match_info["id"])
        files = _file_parts(await self._form(request))
        version = _skill_version(stored.skill["id"], files, self.reg.clock.now())
        if version["name"] != stored.versions[0]["name"]:
            raise invalid(f"files: skill name {version['name']!r} differs from {stored.versions[0]['name']!r}")
        stored.versions.append(version)
        stored.files[version["id"]] = files
        stored.skill.update(latest_version_id=version["id"], updated_at=version["created_at"])
        return web.json_response(version)

    async def _list_versions(self, request: web.Request) -> web.Response:
        stored = self.reg.skill(request.match_info["id"])
        items = list(reversed(stored.versions))
        page = paginate(items, key=lambda v: int(v["id"]), order="desc",
                        limit=parse_limit(request.query), page=request.query.get("page"))
        return web.json_response(page.body(lambda v: v))

    async def _get_version(self, request: web.Request) -> web.Response:
        stored = self.reg.skill(request.match_info["id"])
        wanted = request.match_info["version"]
        if wanted == "latest":
            wanted = stored.skill["latest_version_id"]
        for version in stored.versions:
            if version["id"] == wanted:
                return web.json_response(version)
        raise not_found(f"skill {stored.skill['id']!r} has no version {wanted!r}")
