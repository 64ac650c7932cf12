// Fixture Worker for mapback: each path runs a scenario that throws.
//   /<scenario>            catches the error, returns err.stack as the body
//   /uncaught/<scenario>   rethrows it from fetch(), for the dev server to log
//   /waituntil/<scenario>  runs it in ctx.waitUntil(), so workerd logs the
//                          rejection itself
//   /logged/<scenario>     catches it and passes it to console.error()
import { checkoutCart } from "./cart.js";
import { dispatch } from "./handlers.js";
import { labelAll, parseQuantities } from "./format.js";
import { convert } from "./rates.js";

const scenarios = {
  "class-method": () => checkoutCart(),
  "handler-table": () => dispatch("handler", '{"cart":1}'),
  "keep-names": () => labelAll([{ sku: "tea", qty: 2 }, { sku: "mug", qty: -1 }]),
  "async": () => convert(10, "JPY"),
  "map-callback": () => parseQuantities("1,2,three"),
};

async function runScenario(name) {
  const scenario = scenarios[name];
  if (!scenario) {
    return null;
  }
  return await scenario();
}

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    const parts = url.pathname.split("/").filter(Boolean);
    const mode = parts.length > 1 ? parts[0] : "caught";
    const name = parts.length > 1 ? parts[1] : parts[0];
    if (mode === "waituntil") {
      // The rejection escapes to workerd itself, which logs it.
      ctx.waitUntil(runScenario(name));
      return new Response("scheduled\n", { status: 202 });
    }
    try {
      const result = await runScenario(name);
      if (result === null) {
        return new Response(`unknown scenario ${name}\n`, { status: 404 });
      }
      return new Response(`no error: ${result}\n`, { status: 500 });
    } catch (err) {
      if (mode === "uncaught") {
        // Same error object, same err.stack, now left to the runtime.
        throw err;
      }
      if (mode === "logged") {
        console.error("scenario failed:", err);
        return new Response("logged\n", { status: 200 });
      }
      return new Response(`${err.stack}\n`, {
        headers: { "content-type": "text/plain; charset=utf-8" },
      });
    }
  },
};
