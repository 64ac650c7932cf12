var __defProp = Object.defineProperty;
var __name = (target, value) => __defProp(target, "name", { value, configurable: true });

// wrangler-config:config:middleware/patch-console-prefix
var prefix = "[mapback-fixture-worker]";

// ../node_modules/wrangler/templates/middleware/middleware-patch-console-prefix.ts
["log", "debug", "info"].forEach((method) => {
  globalThis.console[method] = new Proxy(globalThis.console[method], {
    apply(target, thisArg, argumentsList) {
      return target.apply(thisArg, [prefix, ...argumentsList]);
    }
  });
});

// src/cart.js
var OutOfStockError = class extends Error {
  static {
    __name(this, "OutOfStockError");
  }
  constructor(sku) {
    super(`item ${sku} is out of stock`);
    this.name = "OutOfStockError";
  }
};
var Cart = class {
  static {
    __name(this, "Cart");
  }
  constructor(items) {
    this.items = items;
  }
  total() {
    let sum = 0;
    for (const item of this.items) {
      sum += this.priceOf(item);
    }
    return sum;
  }
  priceOf(item) {
    if (item.stock === 0) {
      throw new OutOfStockError(item.sku);
    }
    return item.price * item.qty;
  }
};
function checkoutCart() {
  const cart = new Cart([
    { sku: "tea", price: 4, qty: 2, stock: 9 },
    { sku: "kettle", price: 30, qty: 1, stock: 0 }
  ]);
  return cart.total();
}
__name(checkoutCart, "checkoutCart");

// src/handlers.js
var handlers = {
  handler(input) {
    const parsed = JSON.parse(input);
    if (!parsed.user) {
      throw new TypeError("request has no user");
    }
    return parsed.user;
  },
  ping() {
    return "pong";
  }
};
function dispatch(kind, input) {
  const table = handlers;
  return table[kind](input);
}
__name(dispatch, "dispatch");

// src/format.js
var formatLabel = /* @__PURE__ */ __name((sku, qty) => {
  if (qty < 0) {
    throw new RangeError(`negative quantity ${qty} for ${sku}`);
  }
  return `${qty} x ${sku}`;
}, "formatLabel");
function labelAll(lines) {
  return lines.map((line) => formatLabel(line.sku, line.qty));
}
__name(labelAll, "labelAll");
function parseQuantities(text) {
  return text.split(",").map(/* @__PURE__ */ __name(function toQuantity(part) {
    const n = Number(part);
    if (!Number.isInteger(n)) {
      throw new SyntaxError(`not a whole number: "${part}"`);
    }
    return n;
  }, "toQuantity"));
}
__name(parseQuantities, "parseQuantities");

// src/rates.js
var knownRates = { EUR: 1, USD: 1.08 };
async function fetchRate(currency) {
  await new Promise((resolve) => setTimeout(resolve, 1));
  const rate = knownRates[currency];
  if (rate === void 0) {
    throw new Error(`no exchange rate for ${currency}`);
  }
  return rate;
}
__name(fetchRate, "fetchRate");
async function convert(amount, currency) {
  const rate = await fetchRate(currency);
  return amount * rate;
}
__name(convert, "convert");

// src/index.js
var scenarios = {
  "class-method": /* @__PURE__ */ __name(() => checkoutCart(), "class-method"),
  "handler-table": /* @__PURE__ */ __name(() => dispatch("handler", '{"cart":1}'), "handler-table"),
  "keep-names": /* @__PURE__ */ __name(() => labelAll([{ sku: "tea", qty: 2 }, { sku: "mug", qty: -1 }]), "keep-names"),
  "async": /* @__PURE__ */ __name(() => convert(10, "JPY"), "async"),
  "map-callback": /* @__PURE__ */ __name(() => parseQuantities("1,2,three"), "map-callback")
};
async function runScenario(name) {
  const scenario = scenarios[name];
  if (!scenario) {
    return null;
  }
  return await scenario();
}
__name(runScenario, "runScenario");
var src_default = {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    const parts = url.pathname.split("/").filter(Boolean);
    const mode = parts.length > 1 ? parts[0] : "caught";
    const name = parts.length > 1 ? parts[1] : parts[0];
    if (mode === "waituntil") {
      ctx.waitUntil(runScenario(name));
      return new Response("scheduled\n", { status: 202 });
    }
    try {
      const result = await runScenario(name);
      if (result === null) {
        return new Response(`unknown scenario ${name}
`, { status: 404 });
      }
      return new Response(`no error: ${result}
`, { status: 500 });
    } catch (err) {
      if (mode === "uncaught") {
        throw err;
      }
      if (mode === "logged") {
        console.error("scenario failed:", err);
        return new Response("logged\n", { status: 200 });
      }
      return new Response(`${err.stack}
`, {
        headers: { "content-type": "text/plain; charset=utf-8" }
      });
    }
  }
};

// ../node_modules/wrangler/templates/middleware/middleware-ensure-req-body-drained.ts
var drainBody = /* @__PURE__ */ __name(async (request, env, _ctx, middlewareCtx) => {
  try {
    return await middlewareCtx.next(request, env);
  } finally {
    try {
      if (request.body !== null && !request.bodyUsed) {
        const reader = request.body.getReader();
        while (!(await reader.read()).done) {
        }
      }
    } catch (e) {
      console.error("Failed to drain the unused request body.", e);
    }
  }
}, "drainBody");
var middleware_ensure_req_body_drained_default = drainBody;

// ../node_modules/wrangler/templates/middleware/middleware-miniflare3-json-error.ts
function reduceError(e) {
  return {
    name: e?.name,
    message: e?.message ?? String(e),
    stack: e?.stack,
    cause: e?.cause === void 0 ? void 0 : reduceError(e.cause)
  };
}
__name(reduceError, "reduceError");
var jsonError = /* @__PURE__ */ __name(async (request, env, _ctx, middlewareCtx) => {
  try {
    return await middlewareCtx.next(request, env);
  } catch (e) {
    const error = reduceError(e);
    const body = JSON.stringify(error);
    const headers = {
      "Content-Type": "application/json",
      "MF-Experimental-Error-Stack": "true"
    };
    const encoded = encodeURIComponent(body);
    if (encoded.length <= 8192) {
      headers["MF-Experimental-Error-Stack-Payload"] = encoded;
    }
    return new Response(body, { status: 500, headers });
  }
}, "jsonError");
var middleware_miniflare3_json_error_default = jsonError;

// .wrangler/tmp/bundle-XXXXXX/middleware-insertion-facade.js
var __INTERNAL_WRANGLER_MIDDLEWARE__ = [
  middleware_ensure_req_body_drained_default,
  middleware_miniflare3_json_error_default
];
var middleware_insertion_facade_default = src_default;

// ../node_modules/wrangler/templates/middleware/common.ts
var __facade_middleware__ = [];
function __facade_register__(...args) {
  __facade_middleware__.push(...args.flat());
}
__name(__facade_register__, "__facade_register__");
function __facade_invokeChain__(request, env, ctx, dispatch2, middlewareChain) {
  const [head, ...tail] = middlewareChain;
  const middlewareCtx = {
    dispatch: dispatch2,
    next(newRequest, newEnv) {
      return __facade_invokeChain__(newRequest, newEnv, ctx, dispatch2, tail);
    }
  };
  return head(request, env, ctx, middlewareCtx);
}
__name(__facade_invokeChain__, "__facade_invokeChain__");
function __facade_invoke__(request, env, ctx, dispatch2, finalMiddleware) {
  return __facade_invokeChain__(request, env, ctx, dispatch2, [
    ...__facade_middleware__,
    finalMiddleware
  ]);
}
__name(__facade_invoke__, "__facade_invoke__");

// .wrangler/tmp/bundle-XXXXXX/middleware-loader.entry.ts
var __Facade_ScheduledController__ = class ___Facade_ScheduledController__ {
  constructor(scheduledTime, cron, noRetry) {
    this.scheduledTime = scheduledTime;
    this.cron = cron;
    this.#noRetry = noRetry;
  }
  scheduledTime;
  cron;
  static {
    __name(this, "__Facade_ScheduledController__");
  }
  #noRetry;
  noRetry() {
    if (!(this instanceof ___Facade_ScheduledController__)) {
      throw new TypeError("Illegal invocation");
    }
    this.#noRetry();
  }
};
function wrapExportedHandler(worker) {
  if (__INTERNAL_WRANGLER_MIDDLEWARE__ === void 0 || __INTERNAL_WRANGLER_MIDDLEWARE__.length === 0) {
    return worker;
  }
  for (const middleware of __INTERNAL_WRANGLER_MIDDLEWARE__) {
    __facade_register__(middleware);
  }
  const fetchDispatcher = /* @__PURE__ */ __name(function(request, env, ctx) {
    if (worker.fetch === void 0) {
      throw new Error("Handler does not export a fetch() function.");
    }
    return worker.fetch(request, env, ctx);
  }, "fetchDispatcher");
  return {
    ...worker,
    fetch(request, env, ctx) {
      const dispatcher = /* @__PURE__ */ __name(function(type, init) {
        if (type === "scheduled" && worker.scheduled !== void 0) {
          const controller = new __Facade_ScheduledController__(
            Date.now(),
            init.cron ?? "",
            () => {
            }
          );
          return worker.scheduled(controller, env, ctx);
        }
      }, "dispatcher");
      return __facade_invoke__(request, env, ctx, dispatcher, fetchDispatcher);
    }
  };
}
__name(wrapExportedHandler, "wrapExportedHandler");
function wrapWorkerEntrypoint(klass) {
  if (__INTERNAL_WRANGLER_MIDDLEWARE__ === void 0 || __INTERNAL_WRANGLER_MIDDLEWARE__.length === 0) {
    return klass;
  }
  for (const middleware of __INTERNAL_WRANGLER_MIDDLEWARE__) {
    __facade_register__(middleware);
  }
  return class extends klass {
    #fetchDispatcher = /* @__PURE__ */ __name((request, env, ctx) => {
      this.env = env;
      this.ctx = ctx;
      if (super.fetch === void 0) {
        throw new Error("Entrypoint class does not define a fetch() function.");
      }
      return super.fetch(request);
    }, "#fetchDispatcher");
    #dispatcher = /* @__PURE__ */ __name((type, init) => {
      if (type === "scheduled" && super.scheduled !== void 0) {
        const controller = new __Facade_ScheduledController__(
          Date.now(),
          init.cron ?? "",
          () => {
          }
        );
        return super.scheduled(controller);
      }
    }, "#dispatcher");
    fetch(request) {
      return __facade_invoke__(
        request,
        this.env,
        this.ctx,
        this.#dispatcher,
        this.#fetchDispatcher
      );
    }
  };
}
__name(wrapWorkerEntrypoint, "wrapWorkerEntrypoint");
var WRAPPED_ENTRY;
if (typeof middleware_insertion_facade_default === "object") {
  WRAPPED_ENTRY = wrapExportedHandler(middleware_insertion_facade_default);
} else if (typeof middleware_insertion_facade_default === "function") {
  WRAPPED_ENTRY = wrapWorkerEntrypoint(middleware_insertion_facade_default);
}
var middleware_loader_entry_default = WRAPPED_ENTRY;
export {
  __INTERNAL_WRANGLER_MIDDLEWARE__,
  middleware_loader_entry_default as default
};
//# sourceMappingURL=index.js.map
