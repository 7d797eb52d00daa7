"""External file uploads: files.getUploadURLExternal, the upload URL itself, files.completeUploadExternal."""

from __future__ import annotations

import mimetypes
import time
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .api import Args, SlackError, method
from .chat import bot_fields
from .store import StoredFile
from .webapi import ApiCall

if TYPE_CHECKING:
    from .server import SlackStandin

__all__ = ["file_object", "member_upload", "serve_file", "upload"]


def file_object(slack: SlackStandin, stored: StoredFile) -> dict[str, Any]:
    """A file as messages and files.info show it."""
    ws = slack.workspace
    ext = stored.filename.rsplit(".", 1)[-1].lower() if "." in stored.filename else "text"
    out: dict[str, Any] = {
        "id": stored.id, "created": stored.created, "timestamp": stored.created, "name": stored.filename,
        "title": stored.title or stored.filename,
        "mimetype": mimetypes.guess_type(stored.filename)[0] or "text/plain", "filetype": ext,
        "pretty_type": ext.upper(), "user": stored.user, "user_team": ws.team_id, "editable": False,
        "size": len(stored.content or b""), "mode": "hosted", "is_external": False, "external_type": "",
        "is_public": True, "public_url_shared": False, "display_as_bot": False, "username": "",
        "url_private": f"{slack.base_url}/files/{stored.id}/{stored.filename}",
        "url_private_download": f"{slack.base_url}/files/{stored.id}/download/{stored.filename}",
        "permalink": f"https://{ws.team_domain}.slack.com/files/{stored.user}/{stored.id}/{stored.filename}",
        "channels": sorted({c for c, _ in stored.shares}),
    }
    if stored.alt_txt:
        out["alt_txt"] = stored.alt_txt
    return out


def member_upload(slack: SlackStandin, user_id: str, channel: str, filename: str, content: bytes, *,
                  thread_ts: str | None, title: str | None) -> dict[str, Any]:
    """A member's upload, shared as their own message (the file's `user` is the member); the stored message."""
    ws = slack.workspace
    ws.user(user_id)
    chan = ws.channel(channel)
    stored = ws.file(ws.new_id("F"), user=user_id, filename=filename, length=len(content))
    stored.content, stored.title = content, title or filename
    msg = ws.add(chan, {"user": user_id, "text": "", "upload": True, "display_as_bot": False, "files": []},
                 thread_ts=thread_ts)
    stored.shares.append((chan.id, msg["ts"]))
    msg["files"] = [file_object(slack, stored)]
    return msg


@method("files.getUploadURLExternal")
async def files_get_upload_url_external(slack: SlackStandin, args: Args) -> dict[str, Any]:
    """Announce a file; answers the URL to POST its bytes to."""
    ws = slack.workspace
    filename = args.text("filename", required=True) or ""
    length = args.number("length", -1)
    if length < 0:
        raise SlackError("invalid_arguments", messages=["missing required field: length"])
    stored = ws.file(ws.new_id("F"), user=ws.bot_user_id, filename=filename, length=length)
    stored.alt_txt, stored.snippet_type = args.text("alt_txt"), args.text("snippet_type")
    return {"ok": True, "upload_url": f"{slack.base_url}/upload/v1/{stored.id}", "file_id": stored.id}


async def upload(slack: SlackStandin, request: web.Request) -> web.Response:
    """The upload URL: takes the raw bytes (or a multipart `file` part); answers text/plain like Slack."""
    file_id = request.match_info["file_id"]
    call = ApiCall("upload", {"file_id": file_id}, dict(request.headers), at=time.monotonic())
    slack.calls.append(call)
    stored = slack.workspace.files.get(file_id)
    if stored is None:
        call.status, call.response = 404, "file not found"
    else:
        if request.content_type == "multipart/form-data":
            form = await request.post()
            part = form.get("file") or form.get("filename")
            data = part.file.read() if isinstance(part, web.FileField) else str(part or "").encode()
        else:
            data = await request.read()
        stored.content = data
        call.args["length"] = len(data)
        call.status, call.response = 200, f"OK - {len(data)}"
    slack.changed()
    return web.Response(status=call.status, text=str(call.response), content_type="text/plain")


async def serve_file(slack: SlackStandin, request: web.Request) -> web.Response:
    """url_private: the file's bytes, for the bot token only."""
    stored = slack.workspace.files.get(request.match_info["file_id"])
    auth = request.headers.get("Authorization", "")
    if not auth.lower().startswith("bearer xoxb-"):
        return web.Response(status=302, headers={"Location": "https://slack.com/signin"})
    if stored is None or stored.content is None:
        return web.Response(status=404, text="file not found")
    return web.Response(body=stored.content, content_type=mimetypes.guess_type(stored.filename)[0] or "text/plain")


@method("files.completeUploadExternal")
async def files_complete_upload_external(slack: SlackStandin, args: Args) -> dict[str, Any]:
    """Finish uploads; with a channel, share them there (in a thread with thread_ts) as one message."""
    ws = slack.workspace
    wanted = args.parsed("files")
    if not isinstance(wanted, list) or not wanted or not all(isinstance(f, dict) and f.get("id") for f in wanted):
        raise SlackError("invalid_arguments", messages=["files must be a list of {id, title}"])
    stored_files = []
    for item in wanted:
        stored = ws.files.get(str(item["id"]))
        if stored is None or stored.content is None:
            raise SlackError("file_not_found")
        stored.title = str(item.get("title") or stored.title or stored.filename)
        stored_files.append(stored)
    channel_ref = args.text("channel_id") or (args.text("channels") or "").split(",")[0] or None
    thread_ts = args.text("thread_ts")
    if thread_ts and not channel_ref:
        raise SlackError("invalid_arguments", messages=["thread_ts requires channel_id"])
    if channel_ref:
        channel = ws.bot_channel(channel_ref)
        if channel.archived:
            raise SlackError("invalid_channel")  # its documented errors name no is_archived
        if not ws.bot_is_member(channel):
            raise SlackError("not_in_channel")  # "User/bot membership is required for the specified channel"
        fields = {**bot_fields(ws), "text": args.text("initial_comment") or "", "upload": True,
                  "display_as_bot": False, "files": []}
        msg = ws.add(channel, fields, thread_ts=thread_ts)
        for stored in stored_files:
            stored.shares.append((channel.id, msg["ts"]))
        msg["files"] = [file_object(slack, s) for s in stored_files]
        slack.posted(channel.id, msg)
    return {"ok": True, "files": [{"id": s.id, "title": s.title} for s in stored_files]}
