import { createI18n } from "vue-i18n";
import zh from "./zh-CN";
import en from "./en";
import { session } from "../api/session";

export type Messages = typeof zh;

export const i18n = createI18n<[Messages], "zh-CN" | "en">({
  legacy: false,
  locale: session.lang === "en" ? "en" : "zh-CN",
  fallbackLocale: "zh-CN",
  messages: { "zh-CN": zh, en },
});
