// The two overlays: a button's confirm dialog, and a modal opened by the app with views.open.
import { renderBlocks, textObject } from "./blocks.js";
import { plain } from "./mrkdwn.js";

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function frame(id, titleText, { onClose }) {
  const layer = el("div", "overlay");
  layer.id = id;
  const box = layer.appendChild(el("div", "dialog"));
  box.setAttribute("role", "dialog");
  box.setAttribute("aria-modal", "true");
  const head = box.appendChild(el("div", "dialog-head"));
  const title = head.appendChild(el("h2", "dialog-title"));
  title.append(plain(titleText));
  box.setAttribute("aria-label", title.textContent);
  const close = head.appendChild(el("button", "dialog-x", "×"));
  close.type = "button";
  close.setAttribute("aria-label", "Close");
  close.addEventListener("click", onClose);
  const body = box.appendChild(el("div", "dialog-body"));
  const foot = box.appendChild(el("div", "dialog-foot"));
  return { layer, body, foot };
}

function footButton(text, className, onClick) {
  const node = el("button", `btn ${className}`);
  node.type = "button";
  node.append(plain(text));
  node.addEventListener("click", onClick);
  return node;
}

/** A button's confirm object as a dialog; resolves true when confirmed. */
export function confirmDialog(confirm, ctx) {
  return new Promise((resolve) => {
    const done = (answer) => { parts.layer.remove(); resolve(answer); };
    const parts = frame("confirm", confirm.title?.text ?? "Are you sure?", { onClose: () => done(false) });
    parts.body.append(textObject(confirm.text, ctx));
    parts.foot.append(
      footButton(confirm.deny?.text ?? "Cancel", "", () => done(false)),
      footButton(confirm.confirm?.text ?? "Yes", confirm.style === "danger" ? "danger" : "primary", () => done(true)),
    );
    document.body.append(parts.layer);
    parts.foot.lastChild.focus();
  });
}

function collect(inputs) {
  const values = {};
  let missing = false;
  for (const { block, item, field, node } of inputs) {
    const value = field.value ?? "";
    node.querySelector(".input-error").textContent = "";
    if (!block.optional && !value.trim()) {
      node.querySelector(".input-error").textContent = "Please complete this required field.";
      missing = true;
    }
    let state;
    if (item.type === "static_select") {
      const option = (item.options ?? []).find((o) => o.value === value);
      state = { type: item.type, selected_option: option ?? null };
    } else {
      state = { type: item.type ?? "plain_text_input", value };
    }
    (values[block.block_id] ??= {})[item.action_id] = state;
  }
  return missing ? null : values;
}

/** The member's open modal (one at a time: the newest), kept while it is the same view. */
export class ModalView {
  constructor({ onSubmit, onClose }) {
    this.onSubmit = onSubmit;
    this.onClose = onClose;
    this.key = null;
    this.parts = null;
  }

  show(view, ctx) {
    const key = view ? `${view.id}:${view.hash}` : null;
    if (key === this.key) return;
    this.hide();
    if (!view) return;
    this.key = key;
    const inputs = [];
    this.parts = frame("modal", view.title?.text ?? "", { onClose: () => this.onClose(view) });
    this.parts.layer.dataset.viewId = view.id;
    this.parts.body.append(renderBlocks(view.blocks, { ...ctx, inputs, onClick: null }));
    this.errors = this.parts.body.appendChild(el("div", "dialog-error"));
    this.parts.foot.append(footButton(view.close?.text ?? "Cancel", "", () => this.onClose(view)));
    if (view.submit) {
      this.parts.foot.append(footButton(view.submit.text, "primary", async (event) => {
        const values = collect(inputs);
        if (!values) return;
        event.currentTarget.disabled = true;
        const errors = await this.onSubmit(view, values);
        if (this.parts && errors) this.showErrors(errors, inputs);
        if (this.parts) this.parts.foot.lastChild.disabled = false;
      }));
    }
    document.body.append(this.parts.layer);
    (inputs[0]?.field ?? this.parts.foot.lastChild).focus();
    this.inputs = inputs;
  }

  showErrors(errors, inputs = this.inputs) {
    for (const { block, node } of inputs) {
      if (errors[block.block_id]) node.querySelector(".input-error").textContent = errors[block.block_id];
    }
    if (typeof errors === "string") this.errors.textContent = errors;
  }

  hide() {
    this.parts?.layer.remove();
    this.parts = null;
    this.key = null;
  }
}
