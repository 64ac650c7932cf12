// Scenario "handler-table": an object method looked up in a table and
// called through it, so V8 names the frame after the receiver (Object.…).

export const handlers = {
  handler(input) {
    const parsed = JSON.parse(input);
    if (!parsed.user) {
      throw new TypeError("request has no user");
    }
    return parsed.user;
  },
  ping() {
    return "pong";
  },
};

export function dispatch(kind, input) {
  const table = handlers;
  return table[kind](input);
}
