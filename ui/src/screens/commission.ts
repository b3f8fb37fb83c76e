// Commission (佣金): totals, settled and unsettled, the ledger's details and the
// withdrawals, all from the ledger pulled from the server (the one source of booked
// money); beside them, the commission of handovers on this device the server has
// not booked yet. A withdrawal request (amount in yuan, Enter sends) is checked by
// the core and queued for the server. The Excel export and the printed statement
// list the same pulled ledger with the same totals.

import { asAppError, type CommissionLedger, type LedgerKind, type WithdrawalStatus } from "../api";
import { button, el, yuan } from "../dom";
import { t, type Lang, type MessageKey } from "../i18n";
import { chinaDateTime } from "../sync";
import { errorBox, type Ctx } from "./context";

const KIND: Record<LedgerKind, MessageKey> = {
  accrual: "kindAccrual",
  reversal: "kindReversal",
  settlement: "kindSettlement",
  withdrawal: "kindWithdrawal",
};

const STATUS: Record<WithdrawalStatus, MessageKey> = {
  queued: "wdQueued",
  refused: "wdRefused",
  requested: "wdRequested",
  approved: "wdApproved",
  rejected: "wdRejected",
};

/** A ledger kind in words; a kind this build does not know stays readable. */
export function kindText(lang: Lang, kind: string): string {
  const key = KIND[kind as LedgerKind];
  return key ? t(lang, key) : kind;
}

export function statusText(lang: Lang, status: string): string {
  const key = STATUS[status as WithdrawalStatus];
  return key ? t(lang, key) : status;
}

/** A reversal or a withdrawal takes money away: shown with a minus. */
export function signedAmount(kind: string, amount: number): string {
  return kind === "reversal" || kind === "withdrawal" ? `-${yuan(amount)}` : yuan(amount);
}

function tile(value: string, label: string, name: string): HTMLElement {
  return el("div", { className: "tile", dataset: { total: name } }, el("span", { className: "tile-value" }, value), el("span", { className: "tile-label" }, label));
}

function ledgerParts(lang: Lang, v: CommissionLedger): HTMLElement[] {
  const x = v.totals;
  const parts: HTMLElement[] = [];
  if (x.pulled_at === null) parts.push(el("p", { className: "notice ledger-not-pulled" }, t(lang, "ledgerNotPulled")));
  else parts.push(el("p", { className: "muted" }, t(lang, "ledgerPulledAt", { at: chinaDateTime(x.pulled_at) })));
  parts.push(
    el(
      "div",
      { className: "tiles" },
      tile(yuan(x.net_accrued), t(lang, "ledgerAccrued"), "accrued"),
      tile(yuan(x.settled), t(lang, "ledgerSettled"), "settled"),
      tile(yuan(x.unsettled), t(lang, "ledgerUnsettled"), "unsettled"),
      tile(yuan(x.withdrawn), t(lang, "ledgerWithdrawn"), "withdrawn"),
      tile(yuan(x.pending_withdrawal), t(lang, "ledgerPending"), "pending"),
      tile(yuan(x.available), t(lang, "ledgerAvailable"), "available"),
    ),
  );
  if (x.orders_awaiting_sync > 0) {
    parts.push(el("p", { className: "notice awaiting-sync" }, t(lang, "ledgerAwaitingSync", { amount: yuan(x.awaiting_sync), n: x.orders_awaiting_sync })));
  }
  return parts;
}

function withdrawForm(lang: Lang, ctx: Ctx, redraw: () => Promise<void>, message: HTMLElement): HTMLElement {
  const input = el("input", { id: "withdraw-amount", type: "text", inputMode: "decimal", autocomplete: "off", placeholder: "0.00" });
  const label = el("label", { htmlFor: "withdraw-amount" }, t(lang, "withdrawAmount"));
  const submit = async () => {
    try {
      const row = await ctx.api.requestWithdrawal(input.value);
      await redraw();
      message.replaceChildren(el("p", { className: "success" }, t(lang, "withdrawQueued", { amount: yuan(row.amount) })));
    } catch (e) {
      message.replaceChildren(errorBox(lang, asAppError(e)));
      input.focus();
    }
  };
  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter") {
      e.preventDefault();
      void submit();
    }
  });
  return el("div", { className: "withdraw" }, label, input, button(t(lang, "withdrawSubmit"), () => void submit(), "withdraw-submit"));
}

function tables(lang: Lang, v: CommissionLedger): HTMLElement[] {
  const head = (keys: MessageKey[]) => el("thead", {}, el("tr", {}, ...keys.map((k) => el("th", {}, t(lang, k)))));
  const withdrawals = v.withdrawals.map((w) =>
    el("tr", { dataset: { status: w.status } }, el("td", {}, chinaDateTime(w.requested_at)), el("td", { className: "num" }, yuan(w.amount)), el("td", {}, statusText(lang, w.status)), el("td", {}, w.reason ?? "")),
  );
  const entries = v.entries.map((e) =>
    el("tr", { dataset: { kind: e.kind } }, el("td", {}, chinaDateTime(e.at)), el("td", {}, kindText(lang, e.kind)), el("td", {}, e.order_number ?? ""), el("td", { className: "num" }, signedAmount(e.kind, e.amount))),
  );
  return [
    el("h3", {}, t(lang, "withdrawalsTitle")),
    withdrawals.length ? el("table", { className: "withdrawals" }, head(["colTime", "colAmount", "colStatus", "colReason"]), el("tbody", {}, ...withdrawals)) : el("p", { className: "empty" }, "—"),
    el("h3", {}, t(lang, "entriesTitle")),
    entries.length ? el("table", { className: "ledger" }, head(["colTime", "colKind", "colNumber", "colAmount"]), el("tbody", {}, ...entries)) : el("p", { className: "empty" }, "—"),
  ];
}

export async function commissionScreen(root: HTMLElement, ctx: Ctx): Promise<void> {
  const { lang } = ctx;
  const message = el("div", { className: "message" });
  const draw = async () => {
    const v = await ctx.api.commissionLedger();
    const exportButton = button(t(lang, "exportExcel"), async () => {
      try {
        message.replaceChildren(el("p", { className: "success export-path" }, t(lang, "printSaved", { path: await ctx.api.exportCommission() })));
      } catch (e) {
        message.replaceChildren(errorBox(lang, asAppError(e)));
      }
    }, "export");
    root.replaceChildren(el("h2", {}, t(lang, "navCommission")), ...ledgerParts(lang, v), withdrawForm(lang, ctx, draw, message), el("div", { className: "actions" }, exportButton), message, ...tables(lang, v));
  };
  try {
    await draw();
  } catch (e) {
    root.replaceChildren(el("h2", {}, t(lang, "navCommission")), errorBox(lang, asAppError(e)));
  }
}
