/**
 * npm's `prepare`: builds dist/ after `npm install` / `npm ci` in a checkout.
 * Skipped under `npm pack` and `npm publish`, where npm runs it after
 * `prepack`, which has built dist/ already (and the page from it): a second
 * build only doubled the time and left the page older than dist/browser, so
 * `alexnet web` rebuilt it on its next start.
 */
import { spawnSync } from 'node:child_process';

if (process.env.npm_command === 'pack' || process.env.npm_command === 'publish') process.exit(0);
const build = spawnSync('npm', ['run', 'build'], { stdio: 'inherit', shell: process.platform === 'win32' });
process.exit(build.status ?? 1);
