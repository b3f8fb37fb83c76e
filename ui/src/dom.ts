// DOM helpers. Text goes in with textContent only, so no data is ever parsed as HTML.

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Partial<HTMLElementTagNameMap[K]> & { dataset?: Record<string, string> } = {},
  ...children: (Node | string | null | undefined | false)[]
): HTMLElementTagNameMap[K] {
  const { dataset, ...rest } = props;
  const node = Object.assign(document.createElement(tag), rest);
  if (dataset) Object.assign(node.dataset, dataset);
  for (const c of children) if (c !== null && c !== undefined && c !== false) node.append(c);
  return node;
}

export function button(text: string, onClick: () => void, className = ""): HTMLButtonElement {
  const b = el("button", { type: "button", className }, text);
  b.addEventListener("click", onClick);
  return b;
}

/** Money in fen as "¥12.34". */
export function yuan(fen: number): string {
  const sign = fen < 0 ? "-" : "";
  const abs = Math.abs(fen);
  return `${sign}¥${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, "0")}`;
}

/** A UTC millisecond instant as HH:MM in Beijing time, as the core prints it. */
export function chinaClock(ms: number): string {
  const minutes = Math.floor((ms / 60000 + 8 * 60) % (24 * 60));
  return `${String(Math.floor(minutes / 60)).padStart(2, "0")}:${String(minutes % 60).padStart(2, "0")}`;
}
