// Printing (打印): the day's pick list and the delivery check sheet as PDF, saved
// and sent to the printer set in Settings.

import { asAppError, type Printed } from "../api";
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
  root.replaceChildren(el("h2", {}, t(lang, "navPrinting")), el("p", { className: "day" }, t(lang, "dayOf", { day })), el("div", { className: "actions" }, pick, check, statement), message);
}
