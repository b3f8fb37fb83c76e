// Point id -> name, for lists the server answers with ids only (withdrawals).
import { ref } from "vue";
import { call, client } from "../api/client";

const names = ref<Record<string, string>>({});
let loaded: Promise<void> | null = null;

export function usePointNames() {
  if (!loaded) {
    loaded = call(client.GET("/api/platform/points", { params: { query: { limit: 500, offset: 0 } } }))
      .then((res) => {
        names.value = Object.fromEntries(res.items.map((p) => [p.id, p.name]));
      })
      .catch(() => {
        loaded = null;
      });
  }
  return (id: string) => names.value[id] ?? id.slice(0, 8);
}
