// Slack mrkdwn to DOM nodes. Nothing here uses innerHTML: every piece of text ends up in a text node, so
// `<script>` written by an agent (which reaches us as `&lt;script&gt;`) is shown, never run.
import { withEmoji } from "./emoji.js";

const ENTITIES = { amp: "&", lt: "<", gt: ">" };
const FENCE = "```";
const HOLE = /\uE000(\d+)\uE001/g; // a placeholder for a code span or a <token>, kept out of formatting
const SPANS = /`([^`\n]+)`|<([^<>\n]+)>/g;
const EDGE = "\\s()\\[\\]{}\"'.,;:!?\\uE000\\uE001/-";
const STYLE = new RegExp(`(^|[${EDGE}])([*_~])(?=[^\\s*_~])([^\\n]*?[^\\s])\\2(?=$|[${EDGE}])`);
const TAGS = { "*": "b", _: "i", "~": "s" };
const BULLET = /^(\s*)(?:[•◦▪]|[-*])\s+(.*)$/;
const NUMBERED = /^(\s*)(\d{1,3})[.)]\s+(.*)$/;
const QUOTE = /^(?:>|&gt;)\s?(.*)$/;

/** Slack's three entities back to the characters they stand for (text for a text node). */
export function decode(text) {
  return text.replace(/&(amp|lt|gt);/g, (_, name) => ENTITIES[name]);
}

/** The URL when it is plain http(s), else null: nothing else ever becomes a link. */
export function safeUrl(raw) {
  const url = decode(String(raw ?? "")).trim();
  return /^https?:\/\/[^\s<>"]+$/i.test(url) ? url : null;
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** Plain text with emoji, as a text node (plain_text objects and labels). */
export function plain(text, { emoji = true } = {}) {
  const decoded = decode(String(text ?? ""));
  return document.createTextNode(emoji ? withEmoji(decoded) : decoded);
}

function pad(n) { return String(n).padStart(2, "0"); }

function dayWord(date) {
  const today = new Date();
  const diff = Math.round((new Date(today.toDateString()) - new Date(date.toDateString())) / 86400000);
  return diff === 0 ? "Today" : diff === 1 ? "Yesterday" : diff === -1 ? "Tomorrow" : null;
}

/** `<!date^ts^format|fallback>` in the reader's time zone. */
export function formatDate(ts, format) {
  const date = new Date(Number(ts) * 1000);
  if (Number.isNaN(date.getTime())) return null;
  const short = date.toLocaleDateString("en-US", { month: "short", day: "numeric", year: "numeric" });
  const long = date.toLocaleDateString("en-US", { month: "long", day: "numeric", year: "numeric" });
  const full = date.toLocaleDateString("en-US", { weekday: "long", month: "long", day: "numeric", year: "numeric" });
  const tokens = {
    date_num: `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`,
    date: long, date_short: short, date_long: full,
    date_pretty: dayWord(date) ?? long, date_short_pretty: dayWord(date) ?? short, date_long_pretty: dayWord(date) ?? full,
    time: `${pad(date.getHours())}:${pad(date.getMinutes())}`,
    time_secs: `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`,
  };
  return format.replace(/\{(\w+)\}/g, (whole, name) => tokens[name] ?? whole);
}

function special(body, label) {
  const [kind, ...rest] = body.split("^");
  if (["here", "channel", "everyone"].includes(kind)) return el("span", "mention broadcast", `@${kind}`);
  if (kind === "subteam") return el("span", "mention group", label ? decode(label) : `@${rest[0]}`);
  if (kind === "date") {
    const text = formatDate(rest[0], decode(rest[1] ?? "{date_short}"));
    return el("time", "date", text ?? decode(label ?? ""));
  }
  return document.createTextNode(decode(label ?? `<!${body}>`));
}

/** One `<...>` token: a mention, a channel, a special, a link, or (for anything else) its literal text. */
function token(inner, ctx) {
  const bar = inner.indexOf("|");
  const body = bar < 0 ? inner : inner.slice(0, bar);
  const label = bar < 0 ? null : inner.slice(bar + 1);
  if (body.startsWith("@")) {
    const id = body.slice(1);
    const name = ctx.userName?.(id) ?? (label ? decode(label) : id);
    return el("span", "mention user", `@${name}`);
  }
  if (body.startsWith("#")) {
    const id = body.slice(1);
    return el("span", "mention channel", `#${ctx.channelName?.(id) ?? (label ? decode(label) : id)}`);
  }
  if (body.startsWith("!")) return special(body.slice(1), label);
  const url = safeUrl(body);
  if (url) {
    const a = el("a", "link");
    a.href = url;
    a.append(plain(label ?? body));
    const local = ctx.localLink?.(url); // a permalink into this workspace opens here, not on slack.com
    if (local) {
      a.addEventListener("click", (event) => { event.preventDefault(); local(); });
    } else {
      a.target = "_blank";
      a.rel = "noopener noreferrer";
    }
    return a;
  }
  // not a link Slack would make (javascript:, file:, or just text in angle brackets): show it as text
  return document.createTextNode(label !== null ? decode(label) : `<${decode(inner)}>`);
}

function leaf(text, holes, into) {
  let at = 0;
  for (const m of text.matchAll(HOLE)) {
    if (m.index > at) into.append(document.createTextNode(withEmoji(decode(text.slice(at, m.index)))));
    into.append(holes[Number(m[1])]);
    at = m.index + m[0].length;
  }
  if (at < text.length) into.append(document.createTextNode(withEmoji(decode(text.slice(at)))));
}

function styled(text, holes, into) {
  const m = STYLE.exec(text);
  if (!m) return leaf(text, holes, into);
  const start = m.index + m[1].length;
  leaf(text.slice(0, start), holes, into);
  const node = el(TAGS[m[2]]);
  styled(m[3], holes, node);
  into.append(node);
  styled(text.slice(start + m[2].length * 2 + m[3].length), holes, into);
}

function inline(line, ctx, into) {
  const holes = [];
  const held = line.replace(SPANS, (whole, code, inner) => {
    holes.push(code !== undefined ? el("code", "inline", decode(code)) : token(inner, ctx));
    return `\uE000${holes.length - 1}\uE001`;
  });
  styled(held, holes, into);
}

function list(lines, ordered, ctx) {
  const node = el(ordered ? "ol" : "ul", "list");
  for (const { indent, text, number } of lines) {
    const item = el("li");
    item.style.marginLeft = `${Math.min(indent, 8) * 0.5}em`;
    if (number) item.value = number;
    inline(text, ctx, item);
    node.append(item);
  }
  return node;
}

function prose(text, ctx, into) {
  const lines = text.split("\n");
  let i = 0;
  let brk = false;
  while (i < lines.length) {
    const line = lines[i];
    const bullet = BULLET.exec(line);
    const numbered = NUMBERED.exec(line);
    const quote = QUOTE.exec(line);
    if (bullet || numbered) {
      const kind = bullet ? BULLET : NUMBERED;
      const items = [];
      for (let m; i < lines.length && (m = kind.exec(lines[i])); i++) {
        items.push(bullet ? { indent: m[1].length, text: m[2] } : { indent: m[1].length, number: Number(m[2]), text: m[3] });
      }
      into.append(list(items, !bullet, ctx));
      brk = false;
    } else if (quote) {
      const node = el("blockquote");
      for (let m, first = true; i < lines.length && (m = QUOTE.exec(lines[i])); i++, first = false) {
        if (!first) node.append(el("br"));
        inline(m[1], ctx, node);
      }
      into.append(node);
      brk = false;
    } else {
      if (brk) into.append(el("br"));
      inline(line, ctx, into);
      brk = true;
      i++;
    }
  }
}

/** Render mrkdwn text into a new element (ctx names users and channels). */
export function mrkdwn(text, ctx = {}, className = "mrkdwn") {
  const root = el("div", className);
  const parts = String(text ?? "").split(FENCE);
  if (parts.length % 2 === 0) { // an unclosed fence is text
    const tail = parts.pop();
    parts[parts.length - 1] += FENCE + tail;
  }
  parts.forEach((part, i) => {
    if (i % 2 === 1) {
      root.append(el("pre", "code", decode(part.replace(/^\n/, "").replace(/\n$/, ""))));
      return;
    }
    let text = part;
    if (i > 0) text = text.replace(/^\n/, ""); // the line break after a closing fence belongs to the block
    if (i < parts.length - 1) text = text.replace(/\n$/, "");
    if (!text) return;
    const span = el("span", "prose");
    prose(text, ctx, span);
    root.append(span);
  });
  return root;
}
