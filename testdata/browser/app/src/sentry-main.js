// Entry of the Sentry build (dist-sentry/app.js): the real @sentry/browser SDK
// with its default integrations, sending to serve.mjs (same origin, fixed port).
import * as Sentry from '@sentry/browser';
import { runScenario } from './scenarios.js';

const params = new URLSearchParams(location.search);

Sentry.init({
  dsn: 'http://public@127.0.0.1:8765/1',
  release: 'mapback-browser-fixture@1.0.0',
  environment: 'fixture',
  initialScope: { tags: { scenario: params.get('s'), browser: params.get('b') } },
});

runScenario(params.get('s'), (error) => Sentry.captureException(error));
