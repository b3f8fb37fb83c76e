import { call, client } from "./client";
import { session } from "./session";

export async function loadMe(): Promise<void> {
  const me = await call(client.GET("/api/platform/me"));
  session.me = { username: me.username, name: me.name, role: me.role, permissions: [...me.permissions] };
}
