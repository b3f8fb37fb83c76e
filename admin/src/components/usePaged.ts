// A list paged and filtered on the server: the page asks with limit/offset and
// the filters as query params, and shows the items and total it answered.
import { reactive, ref, shallowRef } from "vue";
import { showError } from "./notify";

export interface Page<T> {
  items: T[];
  total: number;
}

export function usePaged<T, F extends Record<string, unknown>>(
  fetch: (query: F & { limit: number; offset: number }) => Promise<Page<T>>,
  initial: () => F,
  size = 20,
) {
  const filters = reactive(initial()) as F;
  const items = shallowRef<T[]>([]);
  const total = ref(0);
  const page = ref(1);
  const pageSize = ref(size);
  const loading = ref(false);
  let seq = 0;

  function cleaned(): F {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(filters)) {
      if (v === "" || v === null || v === undefined || v === false) continue;
      out[k] = typeof v === "string" ? v.trim() : v;
    }
    return out as F;
  }

  async function load(): Promise<void> {
    const mine = ++seq;
    loading.value = true;
    try {
      const res = await fetch({ ...cleaned(), limit: pageSize.value, offset: (page.value - 1) * pageSize.value });
      if (mine !== seq) return;
      items.value = res.items;
      total.value = res.total;
    } catch (e) {
      if (mine === seq) showError(e);
    } finally {
      if (mine === seq) loading.value = false;
    }
  }

  function search(): Promise<void> {
    page.value = 1;
    return load();
  }

  function reset(): Promise<void> {
    Object.assign(filters, initial());
    return search();
  }

  function onPage(p: number): void {
    page.value = p;
    void load();
  }

  function onSize(s: number): void {
    pageSize.value = s;
    page.value = 1;
    void load();
  }

  return { filters, items, total, page, pageSize, loading, load, search, reset, onPage, onSize };
}
