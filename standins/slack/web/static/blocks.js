// Block Kit to DOM: the blocks incident-bot posts (header, section, fields, context, divider, actions, inputs)
// and the rest of what messages carry, drawn closely enough to judge a design. Text only via text nodes.
import { decode, mrkdwn, plain, safeUrl } from "./mrkdwn.js";

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** A text object: mrkdwn rendered, plain_text as text (with emoji unless emoji is false). */
export function textObject(obj, ctx, className = "mrkdwn") {
  if (!obj) return el("div", className);
  if (obj.type === "mrkdwn") return mrkdwn(obj.text, ctx, className);
  const node = el("div", `${className} plain`);
  node.append(plain(obj.text, { emoji: obj.emoji !== false }));
  return node;
}

function button(element, blockId, ctx) {
  const node = el("button", `btn ${element.style ?? ""}`.trim());
  node.type = "button";
  node.dataset.actionId = element.action_id ?? "";
  node.append(plain(element.text?.text ?? ""));
  const url = safeUrl(element.url);
  if (url) {
    node.classList.add("url");
    node.addEventListener("click", () => window.open(url, "_blank", "noopener,noreferrer"));
    return node;
  }
  if (!ctx.onClick) {
    node.disabled = true;
    node.title = ctx.disabledWhy ?? "Buttons here do nothing in the local workspace";
    return node;
  }
  node.addEventListener("click", () => ctx.onClick({ element, blockId, button: node }));
  return node;
}

function element(item, blockId, ctx) {
  switch (item.type) {
    case "button": return button(item, blockId, ctx);
    case "image": return image(item, "inline-image");
    case "mrkdwn": case "plain_text": return textObject(item, ctx, "context-text");
    default: {
      const node = el("span", "unsupported-element");
      node.append(plain(item.placeholder?.text ?? item.type ?? "element"));
      node.title = `${item.type}: not drawn by the local workspace`;
      return node;
    }
  }
}

function image(item, className = "image") {
  // offline: draw the alt text where the picture would be (no request leaves the machine)
  const node = el("span", className);
  node.append(plain(`🖼 ${item.alt_text || item.title?.text || "image"}`, { emoji: false }));
  return node;
}

function section(block, ctx) {
  const node = el("div", "block section");
  const main = el("div", "section-main");
  if (block.text) main.append(textObject(block.text, ctx));
  if (block.fields?.length) {
    const grid = el("div", "fields");
    for (const field of block.fields) grid.append(textObject(field, ctx, "field mrkdwn"));
    main.append(grid);
  }
  node.append(main);
  if (block.accessory) {
    const side = node.appendChild(el("div", "accessory"));
    side.append(element(block.accessory, block.block_id, ctx));
  }
  return node;
}

function richElements(elements, into, ctx) {
  for (const part of elements ?? []) {
    let node;
    if (part.type === "text") node = document.createTextNode(part.text ?? "");
    else if (part.type === "link") {
      const url = safeUrl(part.url);
      node = url ? Object.assign(el("a", "link", part.text || part.url), { href: url, target: "_blank", rel: "noopener noreferrer" })
        : document.createTextNode(part.text || part.url || "");
    } else if (part.type === "user") node = el("span", "mention user", `@${ctx.userName?.(part.user_id) ?? part.user_id}`);
    else if (part.type === "channel") node = el("span", "mention channel", `#${ctx.channelName?.(part.channel_id) ?? part.channel_id}`);
    else if (part.type === "usergroup") node = el("span", "mention group", `@${part.usergroup_id}`);
    else if (part.type === "broadcast") node = el("span", "mention broadcast", `@${part.range}`);
    else if (part.type === "emoji") node = document.createTextNode(part.unicode ? String.fromCodePoint(...part.unicode.split("-").map((h) => parseInt(h, 16))) : `:${part.name}:`);
    else continue;
    const style = part.style ?? {};
    for (const [flag, tag] of [["code", "code"], ["strike", "s"], ["italic", "i"], ["bold", "b"]]) {
      if (!style[flag]) continue;
      const wrap = el(tag, flag === "code" ? "inline" : "");
      wrap.append(node);
      node = wrap;
    }
    into.append(node);
  }
}

function richText(block, ctx) {
  const node = el("div", "block rich-text");
  for (const part of block.elements ?? []) {
    if (part.type === "rich_text_list") {
      const list = el(part.style === "ordered" ? "ol" : "ul", "list");
      for (const item of part.elements ?? []) richElements(item.elements, list.appendChild(el("li")), ctx);
      node.append(list);
    } else {
      const tag = { rich_text_preformatted: "pre", rich_text_quote: "blockquote" }[part.type] ?? "div";
      richElements(part.elements, node.appendChild(el(tag, tag === "pre" ? "code" : "rich-section")), ctx);
    }
  }
  return node;
}

function input(block, ctx) {
  const node = el("div", "block input");
  node.dataset.blockId = block.block_id ?? "";
  const label = node.appendChild(el("label", "input-label"));
  label.append(plain(block.label?.text ?? ""));
  if (block.optional) label.append(el("span", "optional", " (optional)"));
  const item = block.element ?? {};
  let field;
  if (item.type === "plain_text_input") {
    field = el(item.multiline ? "textarea" : "input", "text-input");
    if (!item.multiline) field.type = "text";
    if (item.max_length) field.maxLength = item.max_length;
    if (item.placeholder?.text) field.placeholder = decode(item.placeholder.text);
    if (item.initial_value) field.value = item.initial_value;
  } else if (item.type === "static_select") {
    field = el("select", "select-input");
    field.append(el("option", "", decode(item.placeholder?.text ?? "Choose…")));
    for (const option of item.options ?? []) {
      const choice = el("option", "", decode(option.text?.text ?? option.value));
      choice.value = option.value;
      field.append(choice);
    }
  } else {
    field = element(item, block.block_id, ctx);
  }
  field.dataset.actionId = item.action_id ?? "";
  field.id = `input-${block.block_id}-${item.action_id}`;
  label.htmlFor = field.id;
  node.append(field);
  if (block.hint) node.append(textObject(block.hint, ctx, "hint"));
  node.append(el("div", "input-error"));
  ctx.inputs?.push({ block, item, field, node });
  return node;
}

const RENDER = {
  header: (block) => { const n = el("div", "block header"); n.append(plain(block.text?.text ?? "")); return n; },
  section,
  divider: () => el("hr", "block divider"),
  context: (block, ctx) => {
    const node = el("div", "block context");
    for (const item of block.elements ?? []) node.append(element(item, block.block_id, ctx));
    return node;
  },
  actions: (block, ctx) => {
    const node = el("div", "block actions");
    for (const item of block.elements ?? []) node.append(element(item, block.block_id, ctx));
    return node;
  },
  image: (block) => { const n = el("div", "block"); n.append(image(block)); return n; },
  rich_text: richText,
  markdown: (block, ctx) => mrkdwn(block.text, ctx, "block mrkdwn markdown"),
  input,
};

/** Render a list of blocks; ctx: userName, channelName, onClick (absent: buttons are inert), inputs (modals). */
export function renderBlocks(blocks, ctx) {
  const frag = document.createDocumentFragment();
  for (const block of blocks ?? []) {
    const render = RENDER[block.type];
    const node = render ? render(block, ctx) : el("div", "block unsupported", `Unsupported block: ${block.type}`);
    node.dataset.blockType = block.type;
    frag.append(node);
  }
  return frag;
}
