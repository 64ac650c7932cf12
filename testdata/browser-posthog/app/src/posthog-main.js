// Entry of the PostHog build (dist/app.js): the real posthog-js SDK, exception autocapture on,
// sending to serve.mjs (same origin, fixed port).
//
// - posthog-js's slim core plus its ErrorTrackingExtensions bundle (what the SDK's docs call
//   `posthog-js/slim` + `posthog-js/extensions`; this version ships them only under dist/) keeps
//   the bundle at about half the size of the default `posthog-js` entry.
// - The window.onerror / onunhandledrejection handlers live in the separate
//   "exception-autocapture" extension, which the SDK would otherwise fetch from the asset host
//   after init, too late for errors thrown while the page loads; imported here, it is bundled
//   and init installs the handlers synchronously.
// - Everything that would make other requests (remote config and flags, surveys, replay,
//   external scripts) is off; events are flushed every 250 ms (the SDK's minimum).
// - opt_out_useragent_filter: the SDK drops every event from a user agent it takes for a bot,
//   and headless Chromium's ("HeadlessChrome/…") is one; this is the SDK's own switch for tests.
import 'posthog-js/dist/exception-autocapture';
import posthog from 'posthog-js/dist/module.slim.no-external';
import { ErrorTrackingExtensions } from 'posthog-js/dist/extension-bundles';
import { runScenario } from './scenarios.js';

posthog.init('phc_fixture', {
  api_host: 'http://127.0.0.1:8766',
  __extensionClasses: { ...ErrorTrackingExtensions },
  capture_exceptions: true,
  autocapture: false,
  capture_pageview: false,
  capture_pageleave: false,
  capture_performance: false,
  capture_heatmaps: false,
  capture_dead_clicks: false,
  rageclick: false,
  advanced_disable_flags: true,
  disable_surveys: true,
  disable_session_recording: true,
  disable_product_tours: true,
  disable_conversations: true,
  disable_web_experiments: true,
  disable_external_dependency_loading: true,
  persistence: 'memory',
  opt_out_useragent_filter: true,
  request_queue_config: { flush_interval_ms: 250 },
});

runScenario(new URLSearchParams(location.search).get('s'), (error) => posthog.captureException(error));
