// A fake shell for tests: canned answers, and a record of every call.

import type { Api, OrderCard, TodayView, Verdict } from "./api";

export const card: OrderCard = {
  order: {
    id: "o1",
    day: "2026-11-22",
    number: "1122-0003",
    consumer_name: "王女士",
    phone_tail: "0427",
    placed_at: 0,
    paid: 5980,
    status: "ReadyForPickup",
    conflicts: [],
    due_units: 3,
    commission: 0,
  },
  lines: [
    { sku: "egg", name: "本地土鸡蛋 30枚", qty: 1, unit_price: 2390, handed: 0, short: 0, due: 1 },
    { sku: "milk", name: "蒙牛纯牛奶 250ml×12", qty: 2, unit_price: 4290, handed: 0, short: 0, due: 2 },
  ],
};

export const todayView: TodayView = {
  day: "2026-11-22",
  isToday: true,
  leader: "李姐",
  delivery: { state: "checking", lines: 12, counted: 0 },
  counts: { orders: 30, to_pick_up: 29, picked_up: 0, conflicts: 0, commission: 0 },
  commissionUnsettled: 1234,
  pendingSync: 0,
};

export type Call = [string, ...unknown[]];

export function fakeApi(verdicts: Record<string, Verdict> = {}): Api & { calls: Call[] } {
  const calls: Call[] = [];
  const rec = <T>(name: string, args: unknown[], value: T): Promise<T> => {
    calls.push([name, ...args]);
    return Promise.resolve(value);
  };
  return {
    calls,
    today: () => rec("today", [], todayView),
    verifyCode: (input) =>
      rec("verifyCode", [input], verdicts[input] ?? { kind: "refused", error: { reason: "unknown", zh: "本自提点没有这个提货码的订单", en: "no order at this point has this pickup code" } }),
    handOver: (input, lines, method) => rec("handOver", [input, lines, method], { event: "e", order: "o1", number: card.order.number, lines: lines ?? [{ sku: "egg", qty: 1 }, { sku: "milk", qty: 2 }], at: 0 }),
    cameraScan: () => {
      calls.push(["cameraScan"]);
      return Promise.reject({ reason: "no_camera", zh: "本机没有可用的摄像头。", en: "No camera is available on this device." });
    },
    listOrders: (tab, search) => rec("listOrders", [tab, search], []),
    deliveryCheck: () => rec("deliveryCheck", [], { day: "2026-11-22", acceptedAt: null, lines: [{ sku: "egg", name: "本地土鸡蛋 30枚", expected: 5, received: null, damaged: 0, note: "", shortfall: 0 }] }),
    countLine: (day, count) => rec("countLine", [day, count], "ev"),
    acceptDelivery: (day) => rec("acceptDelivery", [day], "ev"),
    countAndAccept: (day, counts) => rec("countAndAccept", [day, counts], "ev"),
    savePhoto: (bytes) => rec("savePhoto", [bytes.length], "hash"),
    commission: () => rec("commission", [], { summary: { pending: 0, settled: 0, orders_pending: 0 }, entries: [] }),
    exportCommission: () => rec("exportCommission", [], "exports/commission.xlsx"),
    printPickList: (day) => rec("printPickList", [day], { path: "prints/pick-list.pdf", sent: null }),
    printCommissionStatement: () => rec("printCommissionStatement", [], { path: "prints/commission.pdf", sent: { Err: { reason: "printer", zh: "打印机 x 没有接收", en: "Printer x did not take the job" } } }),
    printDeliveryCheck: (day) => rec("printDeliveryCheck", [day], { path: "prints/check.pdf", sent: null }),
    getSettings: () => rec("getSettings", [], { printer: "", camera: 0, overdueDays: 3, pointName: "邻里自提点", server: "" }),
    saveSettings: (s) => rec("saveSettings", [s], undefined),
  };
}

/** Lets pending promise callbacks run. */
export const settle = () => new Promise((r) => setTimeout(r, 0));
