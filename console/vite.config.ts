import preact from "@preact/preset-vite";
import { defineConfig } from "vite";

// Served by the gateway at `/`, beside `/api` (same origin: no CORS, and the token never
// leaves it). `npm run dev` proxies /api to a local `make up` gateway.
export default defineConfig({
  plugins: [preact()],
  build: { outDir: "dist", emptyOutDir: true, sourcemap: true },
  server: {
    proxy: { "/api": "http://127.0.0.1:8000" },
    // The card reads the pipeline's vocabularies from the concordance artifact.
    fs: { allow: [".", "../docs/concordance"] },
  },
});
