// Talking to the stand-in: JSON posts to /ui/api/*, the live socket, and the toast that reports failures.

/** POST JSON; resolves to the answer, or throws an Error carrying the stand-in's `error`. */
export async function post(path, body) {
  const response = await fetch(`/ui/api/${path}`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body ?? {}),
  });
  const answer = await response.json().catch(() => ({ ok: false, error: `HTTP ${response.status}` }));
  if (!answer.ok) throw new Error(answer.error ?? `HTTP ${response.status}`);
  return answer;
}

/** Show a short message at the bottom of the page. */
export function toast(text, { error = false } = {}) {
  const node = document.createElement("div");
  node.className = error ? "toast error" : "toast";
  node.setAttribute("role", error ? "alert" : "status");
  node.textContent = text;
  document.getElementById("toasts").append(node);
  setTimeout(() => node.remove(), error ? 8000 : 4000);
}

/** A WebSocket to /ui/ws that reconnects by itself; onState gets every snapshot, onStatus "live" or "offline". */
export class Live {
  constructor({ onState, onStatus }) {
    this.onState = onState;
    this.onStatus = onStatus;
    this.watch = null;
    this.delay = 500;
    this.connect();
  }

  connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    this.ws = new WebSocket(`${scheme}://${location.host}/ui/ws`);
    this.ws.addEventListener("open", () => {
      this.delay = 500;
      this.onStatus("live");
      if (this.watch) this.ws.send(JSON.stringify(this.watch));
    });
    this.ws.addEventListener("message", (event) => {
      const frame = JSON.parse(event.data);
      if (frame.type === "state") this.onState(frame);
      else if (frame.type === "error") toast(`The workspace refused the view: ${frame.error}`, { error: true });
    });
    this.ws.addEventListener("close", () => {
      this.onStatus("offline");
      setTimeout(() => this.connect(), this.delay);
      this.delay = Math.min(this.delay * 2, 5000);
    });
  }

  /** Say what this page shows: who it acts as, the channel, and the open thread. */
  follow(watch) {
    this.watch = { type: "watch", ...watch };
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(this.watch));
  }
}
