// The status line: asks the Tauri shell which core runs and where data lives.

import { invoke, isTauri } from "@tauri-apps/api/core";
import { t, type Lang } from "./i18n";

/** What the `status` command returns (src-tauri/src/commands.rs). */
export interface AppStatus {
  dataDir: string;
  coreVersion: string;
}

export type StatusState =
  | { kind: "loading" }
  | { kind: "ready"; status: AppStatus }
  | { kind: "browser" }
  | { kind: "error"; error: string };

export async function loadStatus(): Promise<StatusState> {
  // `vite dev` in a plain browser has no shell to ask.
  if (!isTauri()) return { kind: "browser" };
  try {
    return { kind: "ready", status: await invoke<AppStatus>("status") };
  } catch (error) {
    return { kind: "error", error: String(error) };
  }
}

export function statusText(lang: Lang, state: StatusState): string {
  switch (state.kind) {
    case "loading":
      return t(lang, "statusLoading");
    case "ready":
      return t(lang, "statusLine", { ...state.status });
    case "browser":
      return t(lang, "statusBrowser");
    case "error":
      return t(lang, "statusError", { error: state.error });
  }
}
