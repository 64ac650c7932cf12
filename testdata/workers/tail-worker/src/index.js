// Prints every batch of TraceItems it receives as one line, prefixed so that
// generate.sh can find it in wrangler dev's console output.
export default {
  async tail(events) {
    console.log("MAPBACK_TAIL_EVENTS " + JSON.stringify(events));
  },
};
