# Runs the deploy bundle ../dist/index.js in plain workerd (no wrangler, no
# miniflare), under the module name "index.js", with ../tail-worker as its tail
# consumer. Used by ../generate.sh; see ../README.md.
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "main", worker = .mainWorker),
    (name = "tail", worker = .tailWorker),
  ],
  sockets = [
    (name = "http", address = "127.0.0.1:8792", http = (), service = "main"),
  ],
);

const mainWorker :Workerd.Worker = (
  modules = [
    (name = "index.js", esModule = embed "../dist/index.js"),
  ],
  compatibilityDate = "2026-11-01",
  tails = ["tail"],
);

const tailWorker :Workerd.Worker = (
  modules = [
    (name = "tail.js", esModule = embed "../tail-worker/src/index.js"),
  ],
  compatibilityDate = "2026-11-01",
);
