// Display formatting only: the server decides every number, day and sign.

/** 1234 fen -> "¥12.34"; a negative amount keeps the sign the server gave. */
export function fen(value: number | null | undefined): string {
  if (value === null || value === undefined || Number.isNaN(value)) return "—";
  const negative = value < 0;
  const abs = Math.abs(Math.trunc(value));
  const yuan = Math.floor(abs / 100);
  const cents = String(abs % 100).padStart(2, "0");
  const grouped = String(yuan).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return `${negative ? "-" : ""}¥${grouped}.${cents}`;
}

/** "12.34" (yuan typed by a person) -> 1234 fen, or null when it is not a price. */
export function yuanToFen(text: string): number | null {
  const t = text.trim();
  if (!/^\d+(\.\d{1,2})?$/.test(t)) return null;
  const [whole, frac = ""] = t.split(".");
  return Number(whole) * 100 + Number(frac.padEnd(2, "0"));
}

/** fen -> "12.34" for an input field. */
export function fenToYuan(value: number | null | undefined): string {
  if (value === null || value === undefined) return "";
  const abs = Math.abs(value);
  return `${value < 0 ? "-" : ""}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, "0")}`;
}

/** basis points -> "12.5%" */
export function bp(value: number | null | undefined): string {
  if (value === null || value === undefined) return "—";
  return `${(value / 100).toFixed(2).replace(/\.?0+$/, "")}%`;
}

function pad(n: number): string {
  return String(n).padStart(2, "0");
}

/** An instant (epoch milliseconds or RFC 3339) -> "2025-01-02 13:04" in the browser's clock (display only). */
export function dateTime(value: number | string | null | undefined): string {
  if (value === null || value === undefined || value === "") return "—";
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return String(value);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** Seconds the server counted -> "2天3小时" / "2d 3h" style text. */
export function duration(seconds: number | null | undefined, lang: string = "zh-CN"): string {
  if (seconds === null || seconds === undefined) return "—";
  const s = Math.max(0, Math.floor(seconds));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const zh = lang.startsWith("zh");
  const parts: string[] = [];
  if (d) parts.push(zh ? `${d}天` : `${d}d`);
  if (h) parts.push(zh ? `${h}小时` : `${h}h`);
  if (!d && (m || !h)) parts.push(zh ? `${m}分钟` : `${m}m`);
  return parts.join(zh ? "" : " ");
}
