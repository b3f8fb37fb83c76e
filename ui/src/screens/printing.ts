// Printing (打印): the day's pick list, the delivery check sheet, bag labels (all
// orders still to pick up, or the ones chosen) and the commission statement as PDF,
// saved and sent to the printer set in Settings.

import { asAppError, type OrderListRow, type Printed } from "../api";
import { button, el } from "../dom";
import { t, type Lang } from "../i18n";
import { errorBox, type Ctx } from "./context";

export function printedNodes(lang: Lang, p: Printed): HTMLElement[] {
  const saved = el("p", { className: "success print-path" }, t(lang, "printSaved", { path: p.path }));
  if (p.sent === null) return [saved, el("p", { className: "info" }, t(lang, "printNoPrinter"))];
  if ("Ok" in p.sent) return [saved, el("p", { className: "success" }, t(lang, "printSent", { job: p.sent.Ok }))];
  return [saved, errorBox(lang, p.sent.Err)];
}

export async function printingScreen(root: HTMLElement, ctx: Ctx): Promise<void> {
  const { lang, api } = ctx;
  const message = el("div", { className: "message" });
  message.setAttribute("aria-live", "polite");
  let day = "";
  try {
    day = (await api.today()).day;
  } catch (e) {
    message.replaceChildren(errorBox(lang, asAppError(e)));
  }
  const run = (print: (day: string) => Promise<Printed>) => async () => {
    try {
      message.replaceChildren(...printedNodes(lang, await print(day)));
    } catch (e) {
      message.replaceChildren(errorBox(lang, asAppError(e)));
    }
  };
  const pick = button(t(lang, "printPickList"), run(api.printPickList), "primary print-pick-list");
  const check = button(t(lang, "printCheckSheet"), run(api.printDeliveryCheck), "print-check");
  const statement = button(t(lang, "printCommissionStatement"), run(() => api.printCommissionStatement()), "print-statement");

  // Bag labels: every order still to pick up, or only the ones ticked below.
  let toPickUp: OrderListRow[] = [];
  try {
    toPickUp = (await api.listOrders("toPickUp", "")).filter((o) => o.day === day);
  } catch (e) {
    message.replaceChildren(errorBox(lang, asAppError(e)));
  }
  const boxes = toPickUp.map((o) => {
    const box = el("input", { type: "checkbox", value: o.id });
    box.dataset.number = o.number;
    return el("li", {}, el("label", {}, box, `${o.number} ${o.consumer_name} · ${t(lang, "phoneTail", { tail: o.phone_tail })}`));
  });
  const chosen = () => [...root.querySelectorAll<HTMLInputElement>(".bag-label-choice input:checked")].map((b) => b.value);
  const labels = button("", () => void run((d) => api.printBagLabels(d, chosen().length > 0 ? chosen() : null))(), "print-bag-labels");
  const caption = () => {
    const n = chosen().length;
    labels.textContent = n > 0 ? t(lang, "printBagLabelsChosen", { n }) : t(lang, "printBagLabelsAll", { n: toPickUp.length });
  };
  const choice = el("details", { className: "bag-label-choice" }, el("summary", {}, t(lang, "printBagLabelsChoose")), el("ul", {}, ...boxes));
  choice.addEventListener("change", caption);
  caption();
  root.replaceChildren(el("h2", {}, t(lang, "navPrinting")), el("p", { className: "day" }, t(lang, "dayOf", { day })), el("div", { className: "actions" }, pick, check, labels, statement), choice, message);
}
