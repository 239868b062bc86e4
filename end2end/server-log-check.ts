import { existsSync, readFileSync } from 'node:fs';
import { SERVER_LOG } from './playwright.config';

// Fails the run when the server the tests started logged an ERROR line: a page that renders but
// lost its request context, a failed query, a panic caught by the runtime all show up here, and
// none of them may pass silently.
export default function checkServerLog() {
  if (!existsSync(SERVER_LOG)) {
    throw new Error(`no server log at ${SERVER_LOG}: the server was not started by this run`);
  }
  const errors = readFileSync(SERVER_LOG, 'utf8')
    .split('\n')
    .filter((line) => /\bERROR\b/.test(line) || line.includes('panicked at'));
  if (errors.length > 0) {
    throw new Error(`the server logged ${errors.length} error line(s):\n${errors.join('\n')}`);
  }
}
