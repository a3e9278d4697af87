import { defineConfig } from "vite";

// React without @vitejs/plugin-react: esbuild compiles TSX with the automatic
// runtime; the app ships as static files inside the Tauri binary, so no fast refresh is needed.
export default defineConfig({
  esbuild: { jsx: "automatic" },
  clearScreen: false,
  build: { target: "safari15", outDir: "dist", emptyOutDir: true },
  test: { environment: "jsdom", include: ["src/**/*.test.{ts,tsx}"] },
});
