var __defProp = Object.defineProperty;
var __name = (target, value) => __defProp(target, "name", { value, configurable: true });

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
var index_default = {
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
export {
  index_default as default
};
//# sourceMappingURL=index.js.map
