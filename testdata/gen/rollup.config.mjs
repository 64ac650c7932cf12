// rollup + @rollup/plugin-node-resolve + @rollup/plugin-terser, CommonJS
// output for Node. Used by generate.sh.
import { fileURLToPath } from "node:url";
import { nodeResolve } from "@rollup/plugin-node-resolve";
import terser from "@rollup/plugin-terser";

const here = (p) => fileURLToPath(new URL(p, import.meta.url));

export default {
  input: here("./app/src/index.js"),
  plugins: [nodeResolve(), terser()],
  output: {
    file: here("../fixtures/rollup/app.cjs"),
    format: "cjs",
    sourcemap: true,
  },
};
