// vite SSR build of app/ as one minified ES module for Node, with every
// dependency bundled (ssr.noExternal). Used by generate.sh.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const here = (p) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  root: here("./app"),
  logLevel: "warn",
  clearScreen: false,
  publicDir: false,
  ssr: { noExternal: true, target: "node" },
  build: {
    ssr: "src/index.js",
    outDir: here("../fixtures/vite"),
    emptyOutDir: false,
    target: "node20",
    minify: "esbuild",
    sourcemap: true,
    rollupOptions: {
      output: { format: "es", entryFileNames: "app.mjs" },
    },
  },
});
