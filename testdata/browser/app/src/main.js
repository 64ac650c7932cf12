// Entry of the plain build (dist/app.js).
import { installReporter, report } from './report.js';
import { runScenario } from './scenarios.js';

installReporter();
runScenario(new URLSearchParams(location.search).get('s'), (error) => report('try/catch', error));
