// The page: sidebar, channel, thread pane, composer, user switcher, App Home and modals, kept live by the socket.
// Every act goes to the stand-in's control surface (/ui/api/*), which turns it into a Socket Mode envelope.
import { Live, post, toast } from "./api.js";
import { renderBlocks } from "./blocks.js";
import { ModalView, confirmDialog } from "./dialogs.js";
import { renderMessage } from "./messages.js";

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const page = {
  user: params.get("as"), channel: params.get("channel"), thread: params.get("thread"),
  view: params.get("view") === "home" ? "home" : "channel",
  state: null, ws: null, dismissed: new Set(), seen: {}, frame: "",
};
let ctx = {};

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function remember() {
  const q = new URLSearchParams({ as: page.user, channel: page.channel });
  if (page.thread) q.set("thread", page.thread);
  if (page.view === "home") q.set("view", "home");
  history.replaceState(null, "", `?${q}`);
  live.follow({ user: page.user, channel: page.channel, thread: page.thread });
}

// -- acts --------------------------------------------------------------------------------------------------
async function act(path, body, failure) {
  try {
    return await post(path, { user: page.user, ...body });
  } catch (err) {
    toast(`${failure}: ${err.message}`, { error: true });
    return null;
  }
}

async function click(msg, { element, button }) {
  if (element.confirm && !(await confirmDialog(element.confirm, ctx))) return;
  button.disabled = true;
  button.classList.add("busy");
  await act("click", { channel: page.channel, ts: msg.ts, action_id: element.action_id }, "The click failed");
  // acked: like Slack, the button works again (a decided card is redrawn without it anyway)
  button.disabled = false;
  button.classList.remove("busy");
}

async function send(form, thread) {
  const box = form.querySelector("textarea");
  const text = box.value.trim();
  if (!text) return;
  box.disabled = true;
  const isCommand = text.startsWith("/");
  const body = isCommand ? { channel: page.channel, text } : { channel: page.channel, text, thread_ts: thread };
  const done = await act(isCommand ? "command" : "message", body, isCommand ? "The command failed" : "Sending failed");
  box.disabled = false;
  if (done) box.value = "";
  box.focus();
}

const modal = new ModalView({
  onSubmit: async (view, values) => {
    const done = await act("submit", { view_id: view.id, values }, "Submitting failed");
    const ack = done?.ack;
    return ack?.response_action === "errors" ? ack.errors ?? {} : null;
  },
  onClose: (view) => act("close", { view_id: view.id }, "Closing failed"),
});

// -- rendering ---------------------------------------------------------------------------------------------
function sync(list, items) {
  const old = new Map([...list.children].map((n) => [n.dataset.key, n]));
  let prev = null;
  for (const item of items) {
    let node = old.get(item.key);
    if (!node || node.dataset.fp !== item.fp) {
      const fresh = item.render();
      fresh.dataset.key = item.key;
      fresh.dataset.fp = item.fp;
      if (node) node.replaceWith(fresh); // an edited message changes in place
      node = fresh;
    }
    old.delete(item.key);
    if (node.previousSibling !== prev || node.parentNode !== list) list.insertBefore(node, prev ? prev.nextSibling : list.firstChild);
    prev = node;
  }
  for (const gone of old.values()) gone.remove();
}

function messageItems(messages, ephemerals, { inChannel }) {
  const items = messages.map((msg) => ({
    at: Number(msg.ts), key: `m:${msg.ts}`, fp: JSON.stringify(msg),
    render: () => renderMessage(msg, { ws: page.ws, ctx, onClick: click, onOpenThread: inChannel ? openThread : null }),
  }));
  for (const eph of ephemerals) {
    const key = `e:${eph.message_ts}`;
    if (page.dismissed.has(key)) continue;
    items.push({
      at: Number(eph.message_ts), key, fp: JSON.stringify(eph),
      render: () => {
        const node = renderMessage(eph, { ws: page.ws, ctx, ephemeral: true, onDismiss: () => { page.dismissed.add(key); render(); } });
        if (inChannel && eph.thread_ts) {
          const where = node.querySelector(".only-you").appendChild(el("button", "in-thread", "in a thread: open it"));
          where.type = "button";
          where.addEventListener("click", () => openThread(eph.thread_ts));
        }
        return node;
      },
    });
  }
  return items.sort((a, b) => a.at - b.at);
}

function fill(list, items, emptyText) {
  const nearBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
  const first = !list.dataset.filled;
  list.querySelector(".empty")?.remove();
  sync(list, items);
  if (!items.length) list.append(el("div", "empty", emptyText));
  if (nearBottom || first) list.scrollTop = list.scrollHeight;
  list.dataset.filled = "1";
}

function renderFrame(ws) {
  const text = JSON.stringify([ws, page.user, page.channel, page.view, page.seen]);
  if (text === page.frame) return;
  page.frame = text;
  const channels = $("channels");
  channels.replaceChildren(...ws.channels.map((c) => {
    const item = el("button", "side-item", `# ${c.name}`);
    item.type = "button";
    item.dataset.channel = c.id;
    if (c.id === page.channel && page.view === "channel") item.classList.add("active");
    else if (c.count > (page.seen[c.id] ?? 0)) item.classList.add("unread");
    item.addEventListener("click", () => openChannel(c.id));
    return item;
  }));
  const home = $("home-link");
  home.textContent = `🤖 ${ws.bot.name}`;
  home.classList.toggle("active", page.view === "home");
  const groups = new Map();
  for (const a of ws.actions) (groups.get(a.group) ?? groups.set(a.group, []).get(a.group)).push(a);
  $("actions").replaceChildren(...[...groups].flatMap(([group, actions]) => [
    el("div", "side-title", group),
    ...actions.map((a) => {
      const item = el("button", "side-action", a.label);
      item.type = "button";
      item.dataset.action = a.key;
      item.addEventListener("click", async () => {
        if (await act(`actions/${encodeURIComponent(a.key)}`, {}, "The demo action failed")) toast(`Started: ${a.label}`);
      });
      return item;
    }),
  ]));
  const select = $("user-select");
  select.replaceChildren(...ws.users.filter((u) => !u.is_bot).map((u) => {
    const option = el("option", "", `${u.real_name || u.name} (@${u.name})${u.title ? ` · ${u.title}` : ""}`);
    option.value = u.id;
    option.selected = u.id === page.user;
    return option;
  }));
  const me = page.ws.usersById.get(page.user);
  $("acting-as").textContent = me ? `You are acting as @${me.name}${me.title ? `: ${me.title}` : ""}.` : "";
}

function render() {
  const state = page.state;
  if (!state) return;
  const channel = state.channel;
  if (page.view === "channel") page.seen[channel.id] = state.workspace.channels.find((c) => c.id === channel.id)?.count ?? 0;
  renderFrame(state.workspace);
  document.title = page.view === "home" ? `Home · ${page.ws.bot.name}` : `#${channel.name} · local Slack`;
  $("channel-pane").hidden = page.view !== "channel";
  $("home-pane").hidden = page.view !== "home";
  $("channel-name").textContent = `# ${channel.name}`;
  $("composer-input").placeholder = `Message #${channel.name} — or /incident <what is wrong>`;
  const inThread = (e) => page.thread && e.thread_ts === page.thread;
  fill($("messages"), messageItems(channel.messages, state.ephemerals.filter((e) => !inThread(e)), { inChannel: true }),
    `No messages in #${channel.name} yet. Type /incident <what is wrong> below, or fire a sample alert from the sidebar.`);
  const thread = page.thread ? state.thread : null;
  $("thread-pane").hidden = !thread || page.view !== "channel";
  if (thread) {
    $("thread-title").textContent = `Thread in # ${channel.name}`;
    fill($("thread-messages"), messageItems(thread.messages, state.ephemerals.filter(inThread), { inChannel: false }), "This thread is gone.");
  }
  if (page.view === "home") {
    const body = $("home-body");
    const fp = JSON.stringify(state.home);
    if (body.dataset.fp !== fp) {
      body.dataset.fp = fp;
      body.replaceChildren(state.home ? renderBlocks(state.home.blocks, { ...ctx, onClick: null, disabledWhy: "Home buttons are not wired in the local workspace" })
        : el("div", "empty", "Opening Home…"));
    }
  }
  modal.show(state.modal, ctx);
}

function onState(state) {
  const ws = state.workspace;
  ws.usersById = new Map(ws.users.map((u) => [u.id, u]));
  page.ws = ws;
  const channels = new Map(ws.channels.map((c) => [c.id, c]));
  ctx = { userName: (id) => ws.usersById.get(id)?.name, channelName: (id) => channels.get(id)?.name, localLink };
  const stale = state.user !== page.user || state.channel.id !== page.channel || (state.thread?.ts ?? null) !== page.thread;
  if (stale) return; // a snapshot for a view this page has left
  page.state = state;
  render();
  document.body.dataset.live = "1";
}

// -- navigation --------------------------------------------------------------------------------------------
function localLink(url) {
  // https://<domain>.slack.com/archives/<channel>/p<ts digits>[?thread_ts=<ts>]: chat.getPermalink's shape
  const m = /^https:\/\/([\w-]+)\.slack\.com\/archives\/(\w+)\/p(\d+)(\d{6})(?:\?thread_ts=([\d.]+))?/.exec(url);
  if (!m || m[1] !== page.ws?.team.domain || !page.ws.channels.some((c) => c.id === m[2])) return null;
  return () => {
    Object.assign(page, { channel: m[2], thread: m[5] ?? `${m[3]}.${m[4]}`, view: "channel" });
    remember();
  };
}

function openChannel(id) {
  Object.assign(page, { channel: id, thread: null, view: "channel" });
  remember();
}

function openThread(ts) {
  Object.assign(page, { thread: ts, view: "channel" });
  remember();
}

function openHome() {
  page.view = "home";
  $("home-body").dataset.fp = "";
  remember();
  render();
  act("home", {}, "Opening Home failed");
}

const live = new Live({
  onState,
  onStatus: (status) => {
    $("status").textContent = status === "live" ? "● live" : "○ reconnecting…";
    $("status").className = `status ${status}`;
  },
});

async function boot() {
  const ws = await (await fetch("/ui/api/workspace")).json();
  const people = ws.users.filter((u) => !u.is_bot);
  if (!people.some((u) => u.id === page.user)) page.user = people[0]?.id;
  if (!ws.channels.some((c) => c.id === page.channel)) page.channel = ws.channels[0]?.id;
  for (const c of ws.channels) page.seen[c.id] = c.count;
  $("workspace-name").textContent = `${ws.team.domain} (local)`;
  $("user-select").addEventListener("change", (event) => {
    page.user = event.target.value;
    remember();
    if (page.view === "home") openHome();
  });
  $("home-link").addEventListener("click", openHome);
  $("thread-close").addEventListener("click", () => { page.thread = null; remember(); render(); });
  for (const [form, thread] of [[$("composer"), () => null], [$("thread-composer"), () => page.thread]]) {
    form.addEventListener("submit", (event) => { event.preventDefault(); send(form, thread()); });
    form.querySelector("textarea").addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) { event.preventDefault(); send(form, thread()); }
    });
  }
  remember();
  if (page.view === "home") openHome();
}

boot();
