// Orders (订单): to pick up / picked up / conflicts, searched by phone tail, name
// or order number; orders waiting past the overdue days are marked; the conflicts
// tab lists each conflict with what to do and "mark handled" (conflicts.ts).

import { asAppError, type OrderListRow, type OrdersTab } from "../api";
import { button, el } from "../dom";
import { t, type Lang, type MessageKey } from "../i18n";
import { conflictsPanel } from "./conflicts";
import { errorBox, type Ctx } from "./context";

const tabs: [OrdersTab, MessageKey][] = [
  ["toPickUp", "tabToPickUp"],
  ["pickedUp", "tabPickedUp"],
  ["conflicts", "tabConflicts"],
];

/** A conflict flag (core `status::Conflict::as_str`) in words. */
export function conflictText(lang: Lang, conflict: string): string {
  const key = conflictKeys[conflict];
  return key ? t(lang, key) : conflict;
}

const conflictKeys: Record<string, MessageKey> = {
  handed_over_when_void: "conflictHandedOverWhenVoid",
  duplicate_handover: "conflictDuplicateHandover",
  handed_over_before_acceptance: "conflictHandedOverBeforeAcceptance",
  short_delivery: "conflictShortDelivery",
};

export async function ordersScreen(root: HTMLElement, ctx: Ctx): Promise<void> {
  const { lang, api } = ctx;
  let tab: OrdersTab = "toPickUp";
  const search = el("input", { id: "orders-search", type: "search", placeholder: t(lang, "searchPlaceholder") });
  search.setAttribute("aria-label", t(lang, "searchPlaceholder"));
  const list = el("div", { className: "order-list" });
  const tabBar = el("div", { className: "tabs" });
  tabBar.setAttribute("role", "tablist");

  const load = async () => {
    tabBar.replaceChildren(
      ...tabs.map(([id, key]) => {
        const b = button(t(lang, key), () => {
          tab = id;
          void load();
        }, id === tab ? "tab active" : "tab");
        b.setAttribute("role", "tab");
        b.setAttribute("aria-selected", String(id === tab));
        b.dataset.tab = id;
        return b;
      }),
    );
    try {
      // The conflicts tab says what to do about each and takes "mark handled".
      if (tab === "conflicts") {
        const panel = conflictsPanel(ctx);
        await panel.reload();
        list.replaceChildren(panel.node);
        return;
      }
      list.replaceChildren(table(await api.listOrders(tab, search.value)));
    } catch (e) {
      list.replaceChildren(errorBox(lang, asAppError(e)));
    }
  };

  const table = (rows: OrderListRow[]): HTMLElement => {
    if (rows.length === 0) return el("p", { className: "empty" }, t(lang, "noOrders"));
    const head = el("tr", {}, ...(["colNumber", "colName", "colTail", "colStatus", "colUnits", "colWaiting"] as MessageKey[]).map((k) => el("th", {}, t(lang, k))));
    const body = rows.map((r) =>
      el(
        "tr",
        { className: r.overdue ? "overdue" : "", dataset: { number: r.number } },
        el("td", {}, r.number),
        el("td", {}, r.consumer_name),
        el("td", {}, r.phone_tail),
        el("td", {}, t(lang, `status${r.status}` as MessageKey), r.conflicts.length ? el("span", { className: "conflict" }, ` ⚠ ${r.conflicts.map((c) => conflictText(lang, c)).join("、")}`) : ""),
        el("td", { className: "num" }, String(r.due_units)),
        el("td", { className: "num" }, r.waitingDays === null ? "" : String(r.waitingDays), r.overdue ? el("span", { className: "badge" }, t(lang, "overdueMark")) : ""),
      ),
    );
    return el("table", { className: "orders" }, el("thead", {}, head), el("tbody", {}, ...body));
  };

  let timer: ReturnType<typeof setTimeout> | undefined;
  search.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => void load(), 150);
  });
  search.addEventListener("keydown", (e) => {
    if (e.key === "Enter") {
      clearTimeout(timer);
      void load();
    }
  });

  root.replaceChildren(el("h2", {}, t(lang, "navOrders")), tabBar, search, list);
  await load();
}
