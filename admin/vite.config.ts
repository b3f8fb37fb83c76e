import { defineConfig } from "vitest/config";
import vue from "@vitejs/plugin-vue";
import AutoImport from "unplugin-auto-import/vite";
import Components from "unplugin-vue-components/vite";
import { ElementPlusResolver } from "unplugin-vue-components/resolvers";

// The sync server serves dist/ at /admin (any path under it that is not a file
// gets index.html) on the same origin as /api. In development /api goes to a
// demo server on 8190 (LINLI_API overrides).
const api = process.env.LINLI_API ?? "http://127.0.0.1:8190";

export default defineConfig({
  base: "/admin/",
  plugins: [
    vue(),
    AutoImport({ resolvers: [ElementPlusResolver()], dts: "src/auto-imports.d.ts" }),
    Components({ resolvers: [ElementPlusResolver()], dts: "src/components.d.ts" }),
  ],
  server: { port: 5190, strictPort: true, proxy: { "/api": api, "/healthz": api } },
  preview: { port: 4190, strictPort: true, proxy: { "/api": api, "/healthz": api } },
  clearScreen: false,
  build: {
    outDir: "dist",
    emptyOutDir: true,
    chunkSizeWarningLimit: 900,
    rollupOptions: {
      output: {
        manualChunks(id) {
          if (id.includes("node_modules/echarts") || id.includes("node_modules/zrender")) return "echarts";
          if (id.includes("node_modules/vue") || id.includes("node_modules/@vue")) return "vue";
          return undefined;
        },
      },
    },
  },
  test: { environment: "happy-dom", include: ["src/**/*.test.ts"] },
});
