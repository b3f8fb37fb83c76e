// Delivery check (到货验收): the day's goods summary; per line the received count
// (typed or −/+), damage, a note and a photo; accept; print the check sheet.

import { asAppError, type CheckLine, type DeliveryCheckView, type LineCount } from "../api";
import { button, chinaClock, el } from "../dom";
import { t } from "../i18n";
import { errorBox, type Ctx } from "./context";

interface Row {
  line: CheckLine;
  received: HTMLInputElement;
  damaged: HTMLInputElement;
  note: HTMLInputElement;
  photo: string | null;
}

/** A count typed into a field: whole and not negative, else null. */
export function countOf(text: string): number | null {
  const trimmed = text.trim();
  if (!/^\d{1,6}$/.test(trimmed)) return null;
  return Number(trimmed);
}

export async function deliveryScreen(root: HTMLElement, ctx: Ctx): Promise<void> {
  const { lang, api } = ctx;
  let view: DeliveryCheckView;
  try {
    view = await api.deliveryCheck();
  } catch (e) {
    root.replaceChildren(el("h2", {}, t(lang, "navDelivery")), errorBox(lang, asAppError(e)));
    return;
  }
  const message = el("div", { className: "message" });
  message.setAttribute("aria-live", "polite");
  const accepted = view.acceptedAt !== null;
  const rows: Row[] = [];

  const stepper = (field: HTMLInputElement, delta: number, label: string) =>
    button(label, () => {
      field.value = String(Math.max(0, (countOf(field.value) ?? 0) + delta));
      field.dispatchEvent(new Event("input"));
    }, "step");

  const tr = (line: CheckLine) => {
    const received = el("input", { type: "text", className: "count", value: String(line.received ?? line.expected), disabled: accepted });
    received.setAttribute("inputmode", "numeric");
    received.setAttribute("aria-label", `${t(lang, "colReceived")} ${line.name}`);
    const damaged = el("input", { type: "text", className: "count", value: String(line.damaged), disabled: accepted });
    damaged.setAttribute("aria-label", `${t(lang, "colDamaged")} ${line.name}`);
    const note = el("input", { type: "text", className: "note", value: line.note, placeholder: t(lang, "notePlaceholder"), disabled: accepted });
    const row: Row = { line, received, damaged, note, photo: null };
    rows.push(row);
    const diff = el("span", { className: "diff" });
    const refresh = () => {
      const r = countOf(received.value) ?? 0;
      const d = countOf(damaged.value) ?? 0;
      const short = Math.max(0, line.expected - Math.max(0, r - d));
      diff.textContent = short > 0 ? t(lang, "shortBy", { n: short }) : "";
      tableRow.classList.toggle("short", short > 0);
    };
    received.addEventListener("input", refresh);
    damaged.addEventListener("input", refresh);
    // The native file button speaks the system's language; a label in ours opens it.
    const photo = el("input", { type: "file", accept: "image/*", disabled: accepted, className: "visually-hidden" });
    photo.setAttribute("aria-label", `${t(lang, "colPhoto")} ${line.name}`);
    const photoButton = el("label", { className: "photo-button" }, photo, t(lang, "photoButton"));
    photo.addEventListener("change", async () => {
      const file = photo.files?.[0];
      if (!file) return;
      try {
        row.photo = await api.savePhoto(Array.from(new Uint8Array(await file.arrayBuffer())));
        photoButton.classList.add("taken");
        message.replaceChildren(el("p", { className: "success" }, t(lang, "photoSaved")));
      } catch (e) {
        message.replaceChildren(errorBox(lang, asAppError(e)));
      }
    });
    const tableRow = el(
      "tr",
      { dataset: { sku: line.sku } },
      el("td", {}, line.name),
      el("td", { className: "num" }, String(line.expected)),
      el("td", { className: "counter" }, stepper(received, -1, "−"), received, stepper(received, 1, "+"), diff),
      el("td", {}, damaged),
      el("td", {}, note),
      el("td", {}, photoButton),
    );
    refresh();
    return tableRow;
  };

  const counts = (): LineCount[] | string =>
    rows.map((r) => {
      const received = countOf(r.received.value);
      const damaged = countOf(r.damaged.value);
      if (received === null || damaged === null) throw r.line.name;
      return { sku: r.line.sku, received, damaged, note: r.note.value.trim(), photo: r.photo };
    });

  const accept = async () => {
    let all: LineCount[];
    try {
      all = counts() as LineCount[];
    } catch (name) {
      message.replaceChildren(errorBox(lang, { reason: "count", zh: `${String(name)}：请填写数字`, en: `${String(name)}: enter a number` }));
      return;
    }
    try {
      await api.countAndAccept(view.day, all);
      await deliveryScreen(root, ctx);
      root.querySelector(".message")?.replaceChildren(el("p", { className: "success" }, t(lang, "acceptedNow")));
    } catch (e) {
      message.replaceChildren(errorBox(lang, asAppError(e)));
    }
  };

  const print = async () => {
    try {
      const p = await api.printDeliveryCheck(view.day);
      message.replaceChildren(el("p", { className: "success print-path" }, t(lang, "printSaved", { path: p.path })));
    } catch (e) {
      message.replaceChildren(errorBox(lang, asAppError(e)));
    }
  };

  const head = el("tr", {}, ...(["colGoods", "colExpected", "colReceived", "colDamaged", "colNote", "colPhoto"] as const).map((k) => el("th", {}, t(lang, k))));
  root.replaceChildren(
    el("h2", {}, t(lang, "navDelivery")),
    el("p", { className: "day" }, t(lang, "dayOf", { day: view.day }), accepted ? ` · ${t(lang, "accepted", { at: chinaClock(view.acceptedAt ?? 0) })}` : ""),
    // Above the table, so the answer to "accept" shows without scrolling.
    message,
    el("table", { className: "check" }, el("thead", {}, head), el("tbody", {}, ...view.lines.map(tr))),
    el("div", { className: "actions sticky" }, accepted ? null : button(t(lang, "acceptDelivery"), () => void accept(), "primary accept"), button(t(lang, "printCheckSheet"), () => void print(), "print")),
  );
}
