// webpack 5 production build of app/ for Node. Used by generate.sh.
const path = require("node:path");
const TerserPlugin = require("terser-webpack-plugin");

module.exports = {
  mode: "production",
  target: "node",
  context: path.resolve(__dirname, "app"),
  entry: "./src/index.js",
  devtool: "source-map",
  output: {
    path: path.resolve(__dirname, "../fixtures/webpack"),
    filename: "main.js",
    // sources become webpack://mapback-fixture-app/./src/...
    devtoolNamespace: "mapback-fixture-app",
    clean: false,
  },
  optimization: {
    minimize: true,
    // Explicit so the pinned terser-webpack-plugin is the one used; no
    // separate *.LICENSE.txt file.
    minimizer: [new TerserPlugin({ extractComments: false })],
  },
  performance: { hints: false },
  stats: "errors-warnings",
};
