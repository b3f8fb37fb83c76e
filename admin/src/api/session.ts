// Who is signed in: the token (localStorage), and /me's answer.
import { reactive } from "vue";

const TOKEN_KEY = "linli-admin-token";
const LANG_KEY = "linli-admin-lang";

export const session = reactive({
  token: localStorage.getItem(TOKEN_KEY) ?? "",
  lang: localStorage.getItem(LANG_KEY) ?? "zh-CN",
  me: null as null | { username: string; name: string; role: string; permissions: string[] },
});

export function setToken(token: string): void {
  session.token = token;
  if (token) localStorage.setItem(TOKEN_KEY, token);
  else localStorage.removeItem(TOKEN_KEY);
}

export function setLang(lang: string): void {
  session.lang = lang;
  localStorage.setItem(LANG_KEY, lang);
}

/** Is this Action in /me's permissions? The only permission logic the page has. */
export function can(action: string): boolean {
  return !!session.me?.permissions.includes(action);
}
