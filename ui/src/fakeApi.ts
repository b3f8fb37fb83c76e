// A fake shell for tests: canned answers, and a record of every call.

import type { Api, AppError, CameraUpdate, CommissionLedger, ConflictsView, OpenConflict, OrderCard, SyncState, TeamView, TodayView, Verdict } from "./api";

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

export const syncedState: SyncState = {
  enrolled: true,
  server: "http://127.0.0.1:8087",
  status: { online: true, last_sync_at: 1_795_312_800_000, pending: [], progress: null, conflicts: [], last_error: null, last_error_code: null, blocked: null, retry_in_ms: null, bytes_sent: 0, bytes_received: 0 },
};

export const ledger: CommissionLedger = {
  totals: { version: 3, accrued: 1963, reversed: 0, settled: 1963, net_accrued: 1963, unsettled: 0, withdrawn: 0, pending_withdrawal: 0, available: 1963, awaiting_sync: 478, orders_awaiting_sync: 1, pulled_at: 1_795_312_800_000 },
  entries: [
    { version: 3, kind: "settlement", order: null, order_number: null, sku: null, qty: null, base: 0, rate: null, amount: 1963, at: 1_795_312_800_000, period: "p1", withdrawal: null },
    { version: 1, kind: "accrual", order: "o1", order_number: "1122-0003", sku: "egg", qty: 2, base: 4780, rate: 1000, amount: 478, at: 1_795_312_000_000, period: null, withdrawal: null },
  ],
  withdrawals: [{ id: "w1", amount: 500, status: "rejected", requested_at: 1_795_312_000_000, decided_at: 1_795_312_800_000, reason: "账户信息不全" }],
};

export const teamView: TeamView = {
  rows: [
    { depth: 0, id: "a", name: "王芳", phone: "17700000001", referral_code: "K7QM4X", recruited_by: null, consumers: [], orders: 0, amount: 0 },
    { depth: 1, id: "b", name: "刘洋", phone: "17700000002", referral_code: "R2PDZ9", recruited_by: "a", consumers: [{ name: "陈女士", phone_tail: "5678", orders: 2, amount: 14680 }], orders: 2, amount: 14680 },
  ],
  consumers: 1,
  orders: 2,
  amount: 14680,
  pulled: true,
};

export type Call = [string, ...unknown[]];

export interface FakeOptions {
  sync?: SyncState;
  /** enroll() is refused with this the first time(s), then succeeds. */
  enrollRefusals?: AppError[];
  /** cameraOpen() is refused with this (no camera); else it opens. */
  cameraRefusal?: AppError;
  /** Open conflicts `conflicts()` answers with; `resolveConflict` moves one to handled. */
  conflicts?: OpenConflict[];
}

/** An order handed over after its refund: one open conflict. */
export const refundedConflict: OpenConflict = {
  order: "o7",
  day: "2026-11-22",
  number: "1122-0007",
  consumerName: "赵先生",
  phoneTail: "0004",
  status: "Refunded",
  conflict: "handed_over_when_void",
  whatHappened: { zh: "订单已退款，但商品已经交给了顾客。", en: "The order was refunded, but its goods were handed over." },
  whatToDo: { zh: "请联系顾客（尾号 0004）：取回商品。", en: "Call the consumer (phone ending 0004): take the goods back." },
};

export type FakeApi = Api & {
  calls: Call[];
  sync: SyncState;
  conflictsView: ConflictsView;
  /** The shell's `sync-status` event: sets the state and tells every listener. */
  pushSync(state: SyncState): void;
  /** How many `onSyncState` listeners are registered. */
  syncListeners(): number;
  /** The shell's `camera-view` event. */
  pushCamera(update: CameraUpdate): void;
  /** Whether the camera is open (between cameraOpen and cameraClose). */
  cameraIsOpen(): boolean;
};

export function fakeApi(verdicts: Record<string, Verdict> = {}, options: FakeOptions = {}): FakeApi {
  const calls: Call[] = [];
  const listeners = new Set<(state: SyncState) => void>();
  const cameraListeners = new Set<(update: CameraUpdate) => void>();
  let cameraOpen = false;
  const refusals = [...(options.enrollRefusals ?? [])];
  const rec = <T>(name: string, args: unknown[], value: T): Promise<T> => {
    calls.push([name, ...args]);
    return Promise.resolve(value);
  };
  const api: FakeApi = {
    calls,
    pushSync: (state) => {
      api.sync = state;
      for (const l of [...listeners]) l(state);
    },
    syncListeners: () => listeners.size,
    pushCamera: (update) => {
      for (const l of [...cameraListeners]) l(update);
    },
    cameraIsOpen: () => cameraOpen,
    conflictsView: { open: [...(options.conflicts ?? [])], handled: [] },
    sync: options.sync ?? syncedState,
    today: () => rec("today", [], todayView),
    verifyCode: (input) =>
      rec("verifyCode", [input], verdicts[input] ?? { kind: "refused", error: { reason: "unknown", zh: "本自提点没有这个提货码的订单", en: "no order at this point has this pickup code" } }),
    handOver: (input, lines, method) => rec("handOver", [input, lines, method], { event: "e", order: "o1", number: card.order.number, lines: lines ?? [{ sku: "egg", qty: 1 }, { sku: "milk", qty: 2 }], at: 0 }),
    cameraOpen: () => {
      calls.push(["cameraOpen"]);
      if (options.cameraRefusal) return Promise.reject(options.cameraRefusal);
      cameraOpen = true;
      return Promise.resolve();
    },
    cameraClose: () => {
      calls.push(["cameraClose"]);
      cameraOpen = false;
      return Promise.resolve();
    },
    onCameraUpdate: (handler) => {
      cameraListeners.add(handler);
      return Promise.resolve(() => void cameraListeners.delete(handler));
    },
    listOrders: (tab, search) => rec("listOrders", [tab, search], []),
    deliveryCheck: () => rec("deliveryCheck", [], { day: "2026-11-22", acceptedAt: null, lines: [{ sku: "egg", name: "本地土鸡蛋 30枚", expected: 5, received: null, damaged: 0, note: "", shortfall: 0 }] }),
    countLine: (day, count) => rec("countLine", [day, count], "ev"),
    acceptDelivery: (day) => rec("acceptDelivery", [day], "ev"),
    countAndAccept: (day, counts) => rec("countAndAccept", [day, counts], "ev"),
    savePhoto: (bytes) => rec("savePhoto", [bytes.length], "hash"),
    exportCommission: () => rec("exportCommission", [], "exports/commission.xlsx"),
    commissionLedger: () => rec("commissionLedger", [], ledger),
    requestWithdrawal: (amount) => rec("requestWithdrawal", [amount], { id: "w2", amount: 1000, status: "queued" as const, requested_at: 0, decided_at: null, reason: null }),
    team: () => rec("team", [], teamView),
    printPickList: (day) => rec("printPickList", [day], { path: "prints/pick-list.pdf", sent: null }),
    printCommissionStatement: () => rec("printCommissionStatement", [], { path: "prints/commission.pdf", sent: { Err: { reason: "printer", zh: "打印机 x 没有接收", en: "Printer x did not take the job" } } }),
    printDeliveryCheck: (day) => rec("printDeliveryCheck", [day], { path: "prints/check.pdf", sent: null }),
    printBagLabels: (day, orders) => rec("printBagLabels", [day, orders], { path: "prints/bag-labels.pdf", sent: null }),
    conflicts: () => rec("conflicts", [], api.conflictsView),
    resolveConflict: (request) => {
      calls.push(["resolveConflict", request]);
      const i = api.conflictsView.open.findIndex((c) => c.order === request.order && c.conflict === request.conflict);
      if (i < 0) return Promise.reject({ reason: "conflict_not_open", zh: "这条冲突已经处理过了，或已不存在", en: "no open conflict" });
      const [c] = api.conflictsView.open.splice(i, 1);
      api.conflictsView.handled.unshift({ event: "e9", order: c.order, day: c.day, number: c.number, consumer_name: c.consumerName, phone_tail: c.phoneTail, conflict: c.conflict, note: request.note, leader: "李姐", device: "d1", at: 1_795_312_800_000 });
      return Promise.resolve("e9");
    },
    getSettings: () => rec("getSettings", [], { printer: "", camera: 0, overdueDays: 3, pointName: "邻里自提点", server: "" }),
    saveSettings: (s) => rec("saveSettings", [s], undefined),
    syncState: () => rec("syncState", [], api.sync),
    onSyncState: (handler) => {
      listeners.add(handler);
      return Promise.resolve(() => void listeners.delete(handler));
    },
    enroll: (request) => {
      calls.push(["enroll", request]);
      const refusal = refusals.shift();
      if (refusal) return Promise.reject(refusal);
      api.sync = syncedState;
      return Promise.resolve({ device: "d1", point: "p1", point_name: "幸福里自提点", server_time: 0 });
    },
    syncNow: () => rec("syncNow", [], undefined),
  };
  return api;
}

/** Lets pending promise callbacks run. */
export const settle = () => new Promise((r) => setTimeout(r, 0));
