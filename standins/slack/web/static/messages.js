// One message as Slack draws it: author, time, blocks (or text), attachments, files, reactions, thread summary.
import { renderBlocks } from "./blocks.js";
import { mrkdwn, plain, safeUrl } from "./mrkdwn.js";

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

const COLORS = { good: "#2eb67d", warning: "#ecb22e", danger: "#e01e5a" };

/** "14:05" for a Slack ts, in the reader's time zone. */
export function clock(ts) {
  const date = new Date(Number(ts) * 1000);
  return `${String(date.getHours()).padStart(2, "0")}:${String(date.getMinutes()).padStart(2, "0")}`;
}

function author(msg, ws) {
  if (msg.from_slack) return { name: "Slackbot", app: true };
  if (msg.bot_id && msg.bot_id === ws.bot.bot_id) return { name: ws.bot.name, app: true, ours: true };
  if (msg.bot_id) return { name: msg.username || msg.bot_profile?.name || "integration", app: true };
  const user = ws.usersById.get(msg.user);
  return { name: user?.real_name || user?.name || msg.user || "someone", app: false };
}

function avatar(name) {
  const node = el("div", "avatar", (name.trim()[0] ?? "?").toUpperCase());
  let hash = 0;
  for (const ch of name) hash = (hash * 31 + ch.codePointAt(0)) % 360;
  node.style.background = `hsl(${hash} 45% 45%)`;
  return node;
}

function attachment(att, ctx) {
  const node = el("div", "attachment");
  const color = COLORS[att.color] ?? (/^#?[0-9a-f]{3,8}$/i.test(att.color ?? "") ? `#${att.color.replace("#", "")}` : "#dddddd");
  node.style.borderLeftColor = color;
  if (att.author_name) node.append(el("div", "att-author", att.author_name));
  if (att.title) {
    const title = el("div", "att-title");
    const url = safeUrl(att.title_link);
    if (url) {
      const a = title.appendChild(el("a", "link"));
      Object.assign(a, { href: url, target: "_blank", rel: "noopener noreferrer" });
      a.append(plain(att.title));
    } else {
      title.append(plain(att.title));
    }
    node.append(title);
  }
  if (att.text) node.append(mrkdwn(att.text, ctx, "att-text mrkdwn"));
  if (att.fields?.length) {
    const grid = el("div", "fields");
    for (const field of att.fields) {
      const cell = el("div", field.short ? "field" : "field wide");
      const title = cell.appendChild(el("div", "field-title"));
      title.append(plain(field.title ?? ""));
      cell.append(mrkdwn(field.value ?? "", ctx));
      grid.append(cell);
    }
    node.append(grid);
  }
  if (att.blocks?.length) node.append(renderBlocks(att.blocks, ctx));
  if (att.footer || att.ts) {
    const footer = el("div", "att-footer");
    footer.append(plain([att.footer, att.ts ? clock(att.ts) : ""].filter(Boolean).join(" · ")));
    node.append(footer);
  }
  const wrap = el("div", "attachment-wrap");
  if (att.pretext) wrap.append(mrkdwn(att.pretext, ctx, "att-pretext mrkdwn"));
  wrap.append(node);
  return wrap;
}

function files(list) {
  const node = el("div", "files");
  for (const file of list) {
    const chip = el("a", "file", `📄 ${file.title || file.name || file.id}`);
    chip.href = `/ui/files/${encodeURIComponent(file.id)}`;
    chip.target = "_blank";
    chip.rel = "noopener";
    node.append(chip);
  }
  return node;
}

function reactions(list) {
  const node = el("div", "reactions");
  for (const r of list) {
    const chip = node.appendChild(el("span", "reaction"));
    chip.append(plain(`:${r.name}: ${r.count}`));
  }
  return node;
}

/**
 * A message element. opts: ws (workspace with usersById), ctx (names), onClick(msg, click) for our bot's
 * buttons, onOpenThread(ts) to show "N replies", ephemeral + onDismiss for "Only visible to you".
 */
export function renderMessage(msg, opts) {
  const { ws, ctx } = opts;
  const who = author(msg, ws);
  const node = el("div", "msg");
  node.dataset.ts = msg.ts ?? msg.message_ts;
  if (opts.ephemeral) node.classList.add("ephemeral");
  node.append(avatar(who.name));
  const body = node.appendChild(el("div", "msg-body"));
  if (opts.ephemeral) {
    const note = body.appendChild(el("div", "only-you", "👁 Only visible to you"));
    const dismiss = note.appendChild(el("button", "dismiss", "Dismiss"));
    dismiss.type = "button";
    dismiss.addEventListener("click", () => opts.onDismiss?.());
  }
  const meta = body.appendChild(el("div", "meta"));
  meta.append(el("span", "author", who.name));
  if (who.app) meta.append(el("span", "badge", "APP"));
  meta.append(el("time", "time", clock(msg.ts ?? msg.message_ts)));
  if (msg.edited) meta.append(el("span", "edited", "(edited)"));
  if (msg.subtype === "thread_broadcast" && opts.onOpenThread) {
    const line = body.appendChild(el("button", "broadcast-of", "replied to a thread"));
    line.type = "button";
    line.addEventListener("click", () => opts.onOpenThread?.(msg.thread_ts));
  }
  const clickable = who.ours && !opts.ephemeral && opts.onClick;
  const blockCtx = {
    ...ctx,
    onClick: clickable ? (click) => opts.onClick(msg, click) : null,
    disabledWhy: who.ours ? "Only visible to you: this copy does nothing" : `This button belongs to another app (${who.name}); it does nothing here`,
  };
  const content = body.appendChild(el("div", "content"));
  if (msg.blocks?.length) content.append(renderBlocks(msg.blocks, blockCtx));
  else if (msg.text) content.append(mrkdwn(msg.text, ctx));
  for (const att of msg.attachments ?? []) body.append(attachment(att, blockCtx));
  if (msg.files?.length) body.append(files(msg.files));
  if (msg.reactions?.length) body.append(reactions(msg.reactions));
  if (opts.onOpenThread && msg.reply_count && msg.subtype !== "thread_broadcast") {
    const summary = body.appendChild(el("button", "thread-summary"));
    summary.type = "button";
    summary.append(el("span", "replies", `${msg.reply_count} ${msg.reply_count === 1 ? "reply" : "replies"}`));
    if (msg.latest_reply) summary.append(el("span", "last-reply", `Last reply ${clock(msg.latest_reply)}`));
    summary.addEventListener("click", () => opts.onOpenThread(msg.ts));
  }
  return node;
}
