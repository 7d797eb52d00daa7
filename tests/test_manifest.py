"""manifest.yaml is a valid Slack app manifest (Slack's published schema) and declares what the bot needs."""

from __future__ import annotations

import ast
import copy
import inspect
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from jsonschema.protocols import Validator
from jsonschema.validators import validator_for
from referencing import Registry, Resource
from slack_sdk.web.async_client import AsyncWebClient

REPO = Path(__file__).resolve().parents[1]
SCHEMAS = Path(__file__).resolve().parent / "data" / "slack"  # Slack's own, shipped with the tests (see its README)
MANIFEST = REPO / "manifest.yaml"
SCHEMA_FILES = {1: "manifest.schema.1.0.0.json", 2: "manifest.schema.2.0.0.json"}
REMOTE = "https://raw.githubusercontent.com/slackapi/manifest-schema/v0.5.0/schemas/"

BOT_SCOPES = {
    "commands", "chat:write", "chat:write.public", "channels:history", "channels:join", "groups:history",
    "usergroups:read", "files:write",
}
BOT_EVENTS = {"message.channels", "message.groups", "app_home_opened"}

# The bot-token scopes Slack's reference (docs.slack.dev/reference/methods/<method>) lists for each Web API method the
# bot calls. A call to a method missing here fails test_the_bot_asks_only_for_the_scopes_it_uses: add it with its scopes.
METHOD_SCOPES: dict[str, set[str]] = {
    "apps.connections.open": set(),  # with the app-level token (connections:write), not a bot scope
    "auth.test": set(),
    "chat.getPermalink": set(),
    "chat.postEphemeral": {"chat:write"},
    "chat.postMessage": {"chat:write", "chat:write.public"},  # .public: ONCALL_CHANNEL need not have the bot in it
    "chat.update": {"chat:write"},
    "conversations.history": {"channels:history", "groups:history"},  # ONCALL_CHANNEL: public or private
    "conversations.replies": {"channels:history", "groups:history"},
    "conversations.join": {"channels:join"},  # a public channel the bot finds itself outside of
    "files.completeUploadExternal": {"files:write"},
    "files.getUploadURLExternal": {"files:write"},
    "usergroups.users.list": {"usergroups:read"},
    "views.open": set(),
    "views.publish": set(),
}
EVENT_SCOPES = {"message.channels": {"channels:history"}, "message.groups": {"groups:history"}, "app_home_opened": set()}
COMMAND_SCOPES = {"commands"}  # /incident

def _load_json(name: str) -> dict[str, Any]:
    return json.loads((SCHEMAS / name).read_text(encoding="utf-8"))


def schema_for(manifest: dict[str, Any]) -> dict[str, Any]:
    """Slack's schema for the manifest's `_metadata.major_version` (1 when absent)."""
    major = (manifest.get("_metadata") or {}).get("major_version", 1)
    return _load_json(SCHEMA_FILES[major])


def _registry() -> Registry:
    """The versioned schemas under the URLs the dispatching schema refers to, so nothing is fetched."""
    resources = [(REMOTE + name, Resource.from_contents(_load_json(name))) for name in SCHEMA_FILES.values()]
    return Registry().with_resources(resources)


def _validator(schema: dict[str, Any]) -> Validator:
    cls = validator_for(schema)  # follows the schema's own $schema (draft-07 here)
    cls.check_schema(schema)
    return cls(schema, registry=_registry(), format_checker=cls.FORMAT_CHECKER)


def errors(manifest: dict[str, Any]) -> list[str]:
    """Every schema error for a manifest: against its version's schema and through the dispatching schema."""
    found = [e.message for e in _validator(schema_for(manifest)).iter_errors(manifest)]
    found += [e.message for e in _validator(_load_json("manifest.schema.json")).iter_errors(manifest)]
    return found


@pytest.fixture
def manifest() -> dict[str, Any]:
    return yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))


def test_the_schemas_use_draft_07() -> None:
    for name in [*SCHEMA_FILES.values(), "manifest.schema.json"]:
        assert validator_for(_load_json(name)) is jsonschema.Draft7Validator


def test_version_dispatch() -> None:
    assert schema_for({}) == _load_json(SCHEMA_FILES[1])
    assert schema_for({"_metadata": {"major_version": 1}}) == _load_json(SCHEMA_FILES[1])
    assert schema_for({"_metadata": {"major_version": 2}}) == _load_json(SCHEMA_FILES[2])


def test_manifest_is_valid(manifest: dict[str, Any]) -> None:
    assert errors(manifest) == []


def test_manifest_declares_what_the_bot_needs(manifest: dict[str, Any]) -> None:
    assert manifest["display_information"]["name"] == "incident-bot"
    features = manifest["features"]
    assert features["bot_user"]["display_name"] and features["bot_user"]["always_online"] is True
    assert features["app_home"]["home_tab_enabled"] is True
    assert features["app_home"]["messages_tab_enabled"] is False
    [command] = [c for c in features["slash_commands"] if c["command"] == "/incident"]
    assert command["description"] and command["usage_hint"]
    assert set(manifest["oauth_config"]["scopes"]["bot"]) >= BOT_SCOPES
    settings = manifest["settings"]
    assert set(settings["event_subscriptions"]["bot_events"]) >= BOT_EVENTS
    assert settings["interactivity"]["is_enabled"] is True
    assert settings["socket_mode_enabled"] is True
    assert settings["org_deploy_enabled"] is False and settings["token_rotation_enabled"] is False


def test_socket_mode_means_no_request_urls(manifest: dict[str, Any]) -> None:
    assert "url" not in manifest["features"]["slash_commands"][0]
    assert "request_url" not in manifest["settings"]["event_subscriptions"]
    assert "request_url" not in manifest["settings"]["interactivity"]


def _drop_description(m: dict[str, Any]) -> None:
    del m["features"]["slash_commands"][0]["description"]


def _unknown_setting(m: dict[str, Any]) -> None:
    m["settings"]["websocket_mode_enabled"] = True


def _command_without_slash(m: dict[str, Any]) -> None:
    m["features"]["slash_commands"][0]["command"] = "incident"


def _socket_mode_as_text(m: dict[str, Any]) -> None:
    m["settings"]["socket_mode_enabled"] = "yes"


def _no_display_information(m: dict[str, Any]) -> None:
    del m["display_information"]


def _interactivity_without_is_enabled(m: dict[str, Any]) -> None:
    m["settings"]["interactivity"] = {}


@pytest.mark.parametrize(
    ("breakage", "complaint"),
    [
        (_drop_description, "'description' is a required property"),
        (_unknown_setting, "'websocket_mode_enabled' was unexpected"),
        (_command_without_slash, "does not match"),
        (_socket_mode_as_text, "is not of type 'boolean'"),
        (_no_display_information, "'display_information' is a required property"),
        (_interactivity_without_is_enabled, "'is_enabled' is a required property"),
    ],
)
def test_a_broken_manifest_fails_validation(
    manifest: dict[str, Any], breakage: Callable[[dict[str, Any]], None], complaint: str
) -> None:
    broken = copy.deepcopy(manifest)
    breakage(broken)
    versioned = [e.message for e in _validator(schema_for(broken)).iter_errors(broken)]
    assert any(complaint in m for m in versioned), versioned
    assert list(_validator(_load_json("manifest.schema.json")).iter_errors(broken)), "the dispatcher refuses it too"


def _web_api_methods(client_method: str) -> set[str]:
    """The Web API methods one AsyncWebClient method calls (files_upload_v2 calls two, through other methods)."""
    source = inspect.getsource(getattr(AsyncWebClient, client_method))
    called = set(re.findall(r"api_call\(\s*\"([\w.]+)\"", source))
    for other in set(re.findall(r"self\.(\w+)\(", source)) & _client_methods() - {client_method}:
        called |= _web_api_methods(other)
    return called


def _client_methods() -> set[str]:
    return {name for name, value in vars(AsyncWebClient).items() if callable(value) and not name.startswith("_")}


def methods_the_bot_calls() -> dict[str, set[str]]:
    """Every Web API method the bot's code names (called or passed on), with the modules that name it."""
    known, found = _client_methods(), {}
    for path in sorted((REPO / "bot").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr in known:
                for method in _web_api_methods(node.attr):
                    found.setdefault(method, set()).add(str(path.relative_to(REPO)))
    return found


def test_the_bot_asks_only_for_the_scopes_it_uses(manifest: dict[str, Any]) -> None:
    called = methods_the_bot_calls()
    assert {"chat.postMessage", "chat.update", "conversations.replies", "files.completeUploadExternal"} <= set(called)
    unmapped = {m: where for m, where in called.items() if m not in METHOD_SCOPES}
    assert not unmapped, f"add these methods and the scopes Slack lists for them to METHOD_SCOPES: {unmapped}"
    events = manifest["settings"]["event_subscriptions"]["bot_events"]
    needed = set().union(*(METHOD_SCOPES[m] for m in called), *(EVENT_SCOPES[e] for e in events), COMMAND_SCOPES)
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == needed
