import { defineConfig } from "vitest/config";

export default defineConfig({
  // Tauri's devUrl points here; a taken port should fail loudly, not move.
  server: { port: 5173, strictPort: true },
  clearScreen: false,
  build: { outDir: "dist", emptyOutDir: true },
  test: { environment: "happy-dom" },
});
