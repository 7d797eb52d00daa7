"""A bounded LogQL subset: stream selectors and line filters, parsed strictly; everything else is refused.

Follows Grafana Loki's LogQL documentation ("Log queries": log stream selector, line filter expressions) and the
way Loki words its parse errors ("parse error at line 1, col N: syntax error: ..."). Regular expressions are RE2
in Loki: label matchers are anchored at both ends, line filters are not, and Perl-only syntax is refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["LineFilter", "LogQLError", "LogQuery", "Matcher", "parse"]

EMPTY_COMPATIBLE = (
    'parse error : queries require at least one regexp or equality matcher that does not have an '
    'empty-compatible value. For instance, app=~".*" does not meet this requirement, but app=~".+" will'
)
_SUPPORTED = "this Loki stand-in implements stream selectors and the line filters |=, !=, |~, !~"
_TOKEN = re.compile(r"""\s*(?:(?P<string>"(?:[^"\\\n]|\\.)*"|`[^`]*`)|(?P<ident>[A-Za-z_][A-Za-z0-9_]*)
                        |(?P<op>=~|!~|!=|\|=|\|~|\|>|!>|=|\||\{|\}|,|\(|\)|\[|\]|>=|<=|==|>|<)|(?P<other>\S))""", re.X)
_PERL_ONLY = re.compile(r"\(\?(?:[=!]|<[=!]|>)|\\[1-9]|[*+?}]\+")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "'": "'", "a": "\a", "b": "\b", "f": "\f",
            "v": "\v"}  # fmt: skip


class LogQLError(ValueError):
    """A query Loki would refuse (or this stand-in does not implement), worded like Loki's 400 answers."""


@dataclass(frozen=True, slots=True)
class Matcher:
    name: str
    op: str  # = != =~ !~
    value: str
    pattern: re.Pattern[str] | None = None

    def matches(self, labels: dict[str, str]) -> bool:
        """A missing label counts as the empty string, as in Prometheus and Loki."""
        value = labels.get(self.name, "")
        match self.op:
            case "=":
                return value == self.value
            case "!=":
                return value != self.value
            case "=~":
                return self.pattern is not None and self.pattern.fullmatch(value) is not None
            case _:
                return self.pattern is not None and self.pattern.fullmatch(value) is None


@dataclass(frozen=True, slots=True)
class LineFilter:
    op: str  # |= != |~ !~
    value: str
    pattern: re.Pattern[str] | None = None

    def keeps(self, line: str) -> bool:
        """Whether the line passes this filter (substring or unanchored regex)."""
        match self.op:
            case "|=":
                return self.value in line
            case "!=":
                return self.value not in line
            case "|~":
                return self.pattern is not None and self.pattern.search(line) is not None
            case _:
                return self.pattern is not None and self.pattern.search(line) is None


@dataclass(frozen=True, slots=True)
class LogQuery:
    matchers: tuple[Matcher, ...]
    filters: tuple[LineFilter, ...]

    def selects(self, labels: dict[str, str]) -> bool:
        """Whether a stream with these labels is selected."""
        return all(m.matches(labels) for m in self.matchers)

    def keeps(self, line: str) -> bool:
        """Whether a line passes every line filter."""
        return all(f.keeps(line) for f in self.filters)


@dataclass(frozen=True, slots=True)
class _Tok:
    kind: str  # string, ident, op, other, end
    text: str
    col: int


def _tokens(query: str) -> list[_Tok]:
    tokens: list[_Tok] = []
    pos = 0
    while (m := _TOKEN.match(query, pos)) and m.end() > pos:
        kind = m.lastgroup or "other"
        tokens.append(_Tok(kind, m.group(kind), m.start(kind) + 1))
        pos = m.end()
    tokens.append(_Tok("end", "$end", len(query) + 1))
    return tokens


def _fail(tok: _Tok, message: str) -> LogQLError:
    return LogQLError(f"parse error at line 1, col {tok.col}: {message}")


def _unexpected(tok: _Tok, expecting: str) -> LogQLError:
    shown = {"string": "STRING", "ident": "IDENTIFIER"}.get(tok.kind, tok.text)
    return _fail(tok, f"syntax error: unexpected {shown}, expecting {expecting}")


def _unquote(tok: _Tok) -> str:
    body = tok.text[1:-1]
    if tok.text[0] == "`":
        return body
    out: list[str] = []
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == "\\":
            nxt = body[i + 1]
            if nxt not in _ESCAPES:
                raise _fail(tok, f"invalid syntax: unknown escape sequence \\{nxt}")
            out.append(_ESCAPES[nxt])
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def _regex(tok: _Tok, text: str) -> re.Pattern[str]:
    if found := _PERL_ONLY.search(text):
        raise _fail(tok, f"error parsing regexp: invalid or unsupported Perl syntax: `{found.group(0)}`")
    try:
        return re.compile(text)
    except re.error as exc:
        raise _fail(tok, f"error parsing regexp: {exc.msg}: `{text}`") from None


def _not_implemented(tok: _Tok, what: str) -> LogQLError:
    return _fail(tok, f"{what} is valid LogQL but not implemented here; {_SUPPORTED}")


def parse(query: str) -> LogQuery:
    """The query as matchers and line filters, or LogQLError worded the way Loki answers a bad query."""
    toks = _tokens(query)
    if toks[0].kind == "end":
        raise LogQLError("parse error : syntax error: unexpected $end")
    if toks[0].kind == "ident" and toks[1].text in ("(", "by", "without"):
        raise _not_implemented(toks[0], f"the metric query {toks[0].text}(...)")
    if toks[0].text != "{":
        raise _unexpected(toks[0], "{")
    i, matchers = 1, []
    while True:
        name, op = toks[i], toks[min(i + 1, len(toks) - 1)]
        if name.kind != "ident":
            raise _unexpected(name, "IDENTIFIER")
        if op.text not in ("=", "!=", "=~", "!~"):
            raise _unexpected(op, "=, !=, =~ or !~")
        value = toks[i + 2]
        if value.kind != "string":
            raise _unexpected(value, "STRING")
        text = _unquote(value)
        pattern = _regex(value, text) if op.text in ("=~", "!~") else None
        matchers.append(Matcher(name.text, op.text, text, pattern))
        i += 3
        if toks[i].text == ",":
            i += 1
            continue
        if toks[i].text != "}":
            raise _unexpected(toks[i], ", or }")
        i += 1
        break
    if not any((m.op == "=" and m.value) or (m.op == "=~" and m.pattern and not m.pattern.fullmatch(""))
               for m in matchers):  # fmt: skip
        raise LogQLError(EMPTY_COMPATIBLE)
    filters = []
    while toks[i].kind != "end":
        op = toks[i]
        if op.text in ("|>", "!>"):
            raise _not_implemented(op, f"the pattern filter {op.text}")
        if op.text == "|":
            stage = toks[i + 1].text if toks[i + 1].kind != "end" else ""
            raise _not_implemented(op, f"the pipeline stage | {stage}".rstrip())
        if op.text == "[":
            raise _not_implemented(op, "a range [duration] (metric queries)")
        if op.text not in ("|=", "!=", "|~", "!~"):
            raise _unexpected(op, "|=, !=, |~ or !~")
        value = toks[i + 1]
        if value.kind == "ident" and toks[i + 2].text == "(":
            raise _not_implemented(value, f"the line filter function {value.text}(...)")
        if value.kind != "string":
            raise _unexpected(value, "STRING")
        text = _unquote(value)
        filters.append(LineFilter(op.text, text, _regex(value, text) if op.text in ("|~", "!~") else None))
        i += 2
        if toks[i].kind == "ident" and toks[i].text == "or":
            raise _not_implemented(toks[i], "an `or` between line filters")
    return LogQuery(tuple(matchers), tuple(filters))
