// The commands of the Tauri shell (src-tauri/src/commands), typed. Screens take
// an `Api` so tests hand them a fake.

import { invoke } from "@tauri-apps/api/core";
import { listen } from "@tauri-apps/api/event";

/** A refusal or failure, with the reason in both languages (core `AppError`). */
export interface AppError {
  reason: string;
  zh: string;
  en: string;
}

export type CodeMethod = "Typed" | "Scanner" | "CameraQr";
export type OrderStatus =
  | "AwaitingDelivery"
  | "ReadyForPickup"
  | "PartlyPickedUp"
  | "PickedUp"
  | "Cancelled"
  | "Refunded";

export interface OrderRow {
  id: string;
  day: string;
  number: string;
  consumer_name: string;
  phone_tail: string;
  placed_at: number;
  paid: number;
  status: OrderStatus;
  conflicts: string[];
  due_units: number;
  commission: number;
}

export interface OrderLine {
  sku: string;
  name: string;
  qty: number;
  unit_price: number;
  handed: number;
  short: number;
  due: number;
}

export interface OrderCard {
  order: OrderRow;
  lines: OrderLine[];
}

export type Verdict = { kind: "ready"; card: OrderCard } | { kind: "refused"; error: AppError };

export interface HandoverReceipt {
  event: string;
  order: string;
  number: string;
  lines: { sku: string; qty: number }[];
  at: number;
}

export interface DayCounts {
  orders: number;
  to_pick_up: number;
  picked_up: number;
  conflicts: number;
  commission: number;
}

export type DeliveryState =
  | { state: "noDelivery" }
  | { state: "checking"; lines: number; counted: number }
  | { state: "accepted"; at: number; shortLines: number };

export interface TodayView {
  day: string;
  isToday: boolean;
  leader: string;
  delivery: DeliveryState;
  counts: DayCounts;
  commissionUnsettled: number;
  pendingSync: number;
}

export type OrdersTab = "toPickUp" | "pickedUp" | "conflicts";
export interface OrderListRow extends OrderRow {
  waitingDays: number | null;
  overdue: boolean;
}

export interface CheckLine {
  sku: string;
  name: string;
  expected: number;
  received: number | null;
  damaged: number;
  note: string;
  shortfall: number;
}
export interface DeliveryCheckView {
  day: string;
  acceptedAt: number | null;
  lines: CheckLine[];
}
export interface LineCount {
  sku: string;
  received: number;
  damaged: number;
  note: string;
  photo: string | null;
}

/** The pulled ledger's totals (fen), plus local commission not booked yet. */
export interface LedgerTotals {
  version: number;
  accrued: number;
  reversed: number;
  settled: number;
  /** accrued − reversed. */
  net_accrued: number;
  unsettled: number;
  withdrawn: number;
  pending_withdrawal: number;
  available: number;
  awaiting_sync: number;
  orders_awaiting_sync: number;
  pulled_at: number | null;
}

export type LedgerKind = "accrual" | "reversal" | "settlement" | "withdrawal";

export interface LedgerEntry {
  version: number;
  kind: LedgerKind;
  order: string | null;
  order_number: string | null;
  sku: string | null;
  qty: number | null;
  base: number;
  rate: number | null;
  amount: number;
  at: number;
  period: string | null;
  withdrawal: string | null;
}

export type WithdrawalStatus = "queued" | "refused" | "requested" | "approved" | "rejected";

export interface WithdrawalRow {
  id: string;
  amount: number;
  status: WithdrawalStatus;
  requested_at: number;
  decided_at: number | null;
  reason: string | null;
}

export interface CommissionLedger {
  totals: LedgerTotals;
  entries: LedgerEntry[];
  withdrawals: WithdrawalRow[];
}

export interface TeamConsumer {
  name: string;
  phone_tail: string;
  orders: number;
  amount: number;
}

export interface TeamRow {
  depth: number;
  id: string;
  name: string;
  phone: string;
  referral_code: string;
  recruited_by: string | null;
  consumers: TeamConsumer[];
  orders: number;
  amount: number;
}

export interface TeamView {
  rows: TeamRow[];
  consumers: number;
  orders: number;
  amount: number;
  pulled: boolean;
}

export interface Printed {
  path: string;
  sent: null | { Ok: string } | { Err: AppError };
}

export interface Settings {
  printer: string;
  camera: number;
  overdueDays: number;
  pointName: string;
  server: string;
}

export interface SyncProgress {
  docs_total: number;
  docs_done: number;
}

export interface ConflictItem {
  order: string;
  number: string;
  day: string;
  status: string;
  conflicts: string[];
}

/** A sentence from the core in both languages. */
export interface Words {
  zh: string;
  en: string;
}

/** One open conflict of one order, with what happened and what to do (core `app::conflicts`). */
export interface OpenConflict {
  order: string;
  day: string;
  number: string;
  consumerName: string;
  phoneTail: string;
  status: OrderStatus;
  conflict: string;
  whatHappened: Words;
  whatToDo: Words;
}

export interface HandledConflict {
  event: string;
  order: string;
  day: string;
  number: string;
  consumer_name: string;
  phone_tail: string;
  conflict: string;
  note: string;
  leader: string;
  device: string;
  at: number;
}

export interface ConflictsView {
  open: OpenConflict[];
  handled: HandledConflict[];
}

export interface ResolveRequest {
  day: string;
  order: string;
  conflict: string;
  note: string;
}

/** The sync loop's snapshot (sync-client `SyncStatus`). */
export interface SyncStatus {
  online: boolean;
  last_sync_at: number | null;
  pending: string[];
  progress: SyncProgress | null;
  conflicts: ConflictItem[];
  last_error: string | null;
  /** `unreachable`, `lost`, or the server's refusal code; words in `syncTrouble`. */
  last_error_code: string | null;
  blocked: string | null;
  retry_in_ms: number | null;
  bytes_sent: number;
  bytes_received: number;
}

export interface SyncState {
  enrolled: boolean;
  server: string;
  /** null when no sync loop runs (no server saved). */
  status: SyncStatus | null;
}

export interface EnrollRequest {
  server: string;
  code: string;
  deviceName: string;
  leader: string;
}

/** What the live camera view hears (core `app::camera_view::CameraUpdate`). */
export type CameraUpdate =
  | { kind: "preview"; image: string; width: number; height: number }
  | { kind: "found"; payload: string }
  | { kind: "refused"; error: AppError }
  | { kind: "failed"; error: AppError };

export interface Enrolled {
  device: string;
  point: string;
  point_name: string;
  server_time: number;
}

export interface Api {
  today(): Promise<TodayView>;
  verifyCode(input: string): Promise<Verdict>;
  handOver(input: string, lines: { sku: string; qty: number }[] | null, method: CodeMethod): Promise<HandoverReceipt>;
  /** Opens the live camera view; refused when the camera is missing. */
  cameraOpen(): Promise<void>;
  cameraClose(): Promise<void>;
  /** Calls `handler` on each `camera-view` event; resolves to the function that stops listening. */
  onCameraUpdate(handler: (update: CameraUpdate) => void): Promise<() => void>;
  listOrders(tab: OrdersTab, search: string): Promise<OrderListRow[]>;
  deliveryCheck(): Promise<DeliveryCheckView>;
  countLine(day: string, count: LineCount): Promise<string>;
  acceptDelivery(day: string): Promise<string>;
  countAndAccept(day: string, counts: LineCount[]): Promise<string>;
  savePhoto(bytes: number[]): Promise<string>;
  exportCommission(): Promise<string>;
  commissionLedger(): Promise<CommissionLedger>;
  /** `amount` in yuan as typed; the core checks it. */
  requestWithdrawal(amount: string): Promise<WithdrawalRow>;
  team(): Promise<TeamView>;
  printPickList(day: string): Promise<Printed>;
  printDeliveryCheck(day: string): Promise<Printed>;
  printCommissionStatement(): Promise<Printed>;
  /** Bag labels: the day's orders still to pick up, or only `orders` (ids). */
  printBagLabels(day: string, orders: string[] | null): Promise<Printed>;
  conflicts(): Promise<ConflictsView>;
  resolveConflict(request: ResolveRequest): Promise<string>;
  getSettings(): Promise<Settings>;
  saveSettings(settings: Settings): Promise<void>;
  syncState(): Promise<SyncState>;
  /** Calls `handler` on every change of the sync status (the shell's `sync-status`
   * event); resolves to the function that stops listening. */
  onSyncState(handler: (state: SyncState) => void): Promise<() => void>;
  enroll(request: EnrollRequest): Promise<Enrolled>;
  syncNow(): Promise<void>;
}

export const tauriApi: Api = {
  today: () => invoke("today"),
  verifyCode: (input) => invoke("verify_code", { input }),
  handOver: (input, lines, method) => invoke("hand_over", { input, lines, method }),
  cameraOpen: () => invoke("camera_open"),
  cameraClose: () => invoke("camera_close"),
  onCameraUpdate: (handler) => listen<CameraUpdate>("camera-view", (e) => handler(e.payload)),
  listOrders: (tab, search) => invoke("list_orders", { tab, search }),
  deliveryCheck: () => invoke("delivery_check"),
  countLine: (day, count) => invoke("count_line", { day, count }),
  acceptDelivery: (day) => invoke("accept_delivery", { day }),
  countAndAccept: (day, counts) => invoke("count_and_accept", { day, counts }),
  savePhoto: (bytes) => invoke("save_photo", { bytes }),
  exportCommission: () => invoke("export_commission"),
  commissionLedger: () => invoke("commission_ledger"),
  requestWithdrawal: (amount) => invoke("request_withdrawal", { amount }),
  team: () => invoke("team"),
  printPickList: (day) => invoke("print_pick_list", { day }),
  printDeliveryCheck: (day) => invoke("print_delivery_check", { day }),
  printCommissionStatement: () => invoke("print_commission_statement"),
  printBagLabels: (day, orders) => invoke("print_bag_labels", { day, orders }),
  conflicts: () => invoke("conflicts"),
  resolveConflict: (request) => invoke("resolve_conflict", { request }),
  getSettings: () => invoke("get_settings"),
  saveSettings: (settings) => invoke("save_settings", { settings }),
  syncState: () => invoke("sync_state"),
  onSyncState: (handler) => listen<SyncState>("sync-status", (e) => handler(e.payload)),
  enroll: (request) => invoke("enroll", { request }),
  syncNow: () => invoke("sync_now"),
};

/** An AppError from a rejected command, or one made of whatever was thrown. */
export function asAppError(e: unknown): AppError {
  if (e && typeof e === "object" && "zh" in e && "en" in e) return e as AppError;
  const text = String(e);
  return { reason: "internal", zh: text, en: text };
}
