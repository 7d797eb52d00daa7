"""Git over smart HTTP, for cloning only (git-upload-pack), served by git's own `git http-backend` (CGI).

Written from git's "gitprotocol-http" and git-http-backend(1), and GitHub's "About authentication to GitHub"
(HTTPS: the token is the password of Basic authentication; a private repository answers 401 with
`WWW-Authenticate: Basic realm="GitHub"` to a missing or wrong token, and "Repository not found" to a name the token
cannot see). Pushing (git-receive-pack) is not served: the bot never pushes over git."""

from __future__ import annotations

import asyncio
import base64
import binascii
import os
import re

from aiohttp import web

from .state import STATE, Repository

__all__ = ["GIT_PATH", "TOKEN", "register"]

GIT_PATH = re.compile(r"^/[^/]+/[^/]+/(info/refs|git-upload-pack|git-receive-pack)$")
TOKEN = web.AppKey("git_token", str)
_REALM = {"WWW-Authenticate": 'Basic realm="GitHub"'}


def register(router: web.UrlDispatcher) -> None:
    """The clone endpoints, under /{owner}/{name}[.git]/."""
    router.add_get("/{owner}/{name}/info/refs", info_refs)
    router.add_post("/{owner}/{name}/git-upload-pack", upload_pack)


def _authorized(request: web.Request) -> bool:
    kind, _, value = request.headers.get("Authorization", "").partition(" ")
    if kind.lower() != "basic":
        return False
    try:
        user, _, password = base64.b64decode(value, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return False
    token = request.app[TOKEN]
    return password == token or (user == token and not password)


def _refused(request: web.Request) -> web.Response | None:
    """Why this request gets no repository: 401 without the right token, 404 for another repository."""
    if not _authorized(request):
        return web.Response(status=401, headers=_REALM, text="Invalid username or token. Password authentication "
                            "is not supported for Git operations.\n")  # fmt: skip
    repo, info = request.app[STATE], request.match_info
    if (info["owner"].lower(), info["name"].lower().removesuffix(".git")) != repo.key:
        return web.Response(status=404, text="Repository not found.\n")
    return None


async def info_refs(request: web.Request) -> web.Response:
    if request.query.get("service") != "git-upload-pack":
        return web.Response(status=403, text="Only cloning and fetching are served here (git-upload-pack).\n")
    return _refused(request) or await _backend(request, "/info/refs")


async def upload_pack(request: web.Request) -> web.Response:
    return _refused(request) or await _backend(request, "/git-upload-pack")


async def _backend(request: web.Request, tail: str) -> web.Response:
    """Run `git http-backend` for this request and turn its CGI answer into an HTTP response."""
    repo: Repository = request.app[STATE]
    body = await request.read()  # aiohttp has already undone any Content-Encoding
    env = {
        "PATH": os.environ.get("PATH", os.defpath), "HOME": str(repo.git.path.parent), "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_PROJECT_ROOT": str(repo.git.path.parent), "GIT_HTTP_EXPORT_ALL": "1",
        "PATH_INFO": f"/{repo.git.path.name}{tail}", "REQUEST_METHOD": request.method,
        "QUERY_STRING": request.query_string, "CONTENT_TYPE": request.headers.get("Content-Type", ""),
        "CONTENT_LENGTH": str(len(body)), "REMOTE_ADDR": request.remote or "127.0.0.1",
    }  # fmt: skip
    if protocol := request.headers.get("Git-Protocol"):
        env["GIT_PROTOCOL"] = protocol
    proc = await asyncio.create_subprocess_exec(
        "git", "http-backend", env=env, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await proc.communicate(body)
    head, _, payload = out.partition(b"\r\n\r\n")
    status, headers = 200, {}
    for line in head.decode("latin-1").split("\r\n"):
        name, _, value = line.partition(":")
        if name.lower() == "status":
            status = int(value.split()[0])
        elif name and name.lower() != "content-length":
            headers[name.strip()] = value.strip()
    if proc.returncode != 0 and not head:
        return web.Response(status=500, text=f"git http-backend failed: {err.decode(errors='replace')[:500]}\n")
    return web.Response(status=status, body=payload, headers=headers)
