import { ElMessage } from "element-plus/es/components/message/index";
import { ApiError } from "../api/errors";
import { i18n } from "../i18n";

/** Shows what the server said went wrong (its localized message). */
export function showError(e: unknown): void {
  const text = e instanceof ApiError ? e.message : e instanceof Error ? e.message : String(e);
  ElMessage({ type: "error", message: text, showClose: true, duration: 5000 });
}

export function showDone(text?: string): void {
  ElMessage({ type: "success", message: text ?? i18n.global.t("common.done") });
}

/** A 409: someone else changed it. Shows the server's message; the caller reloads. */
export function isStale(e: unknown): e is ApiError {
  return e instanceof ApiError && e.status === 409;
}
