// The plain build's error reporter: every error the page sees is POSTed to
// serve.mjs as JSON (name, message, stack), as a homemade error reporter would.
const params = new URLSearchParams(location.search);

export function report(how, error) {
  const body = JSON.stringify({
    browser: params.get('b'),
    scenario: params.get('s'),
    how,
    name: error && error.name,
    message: error && error.message,
    stack: error && error.stack,
    userAgent: navigator.userAgent,
  });
  fetch('/report', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
}

export function installReporter() {
  window.addEventListener('error', (event) => report('error event', event.error));
  window.addEventListener('unhandledrejection', (event) => report('unhandledrejection', event.reason));
}
