/**
 * `alexnet web`: serves the browser demo page (dist/web, built by
 * `npm run build:web`) on 127.0.0.1 with the COOP/COEP headers that let the
 * page run the wasm backend on threads. In a checkout a missing or stale
 * page is built first. The installed package's dist/web holds the page
 * alone: the library bundle, the wasm builds and the data come from its
 * dist/browser/ and data/ at the same URLs (site.ts siteFallbacks).
 * Ctrl-C (or SIGTERM) stops it.
 */
import { existsSync, statSync } from 'node:fs';
import { isIPv4, isIPv6 } from 'node:net';
import { join, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { browserDir, buildSite, buildScript, defaultSiteDir, siteFallbacks, siteState } from '../../web/site.js';
import { type FallbackFolder, StaticServer } from '../../web/static-server.js';
import { parseNonNegativeInt } from '../options.js';
import { runAction } from '../run-action.js';

interface WebFlags {
  port: string;
  host: string;
  root?: string;
  build: boolean;
}

interface Site {
  root: string;
  fallbacks: FallbackFolder[];
}

/**
 * What to serve: --root as given (that folder alone), else dist/web, built first when missing or stale (and the build
 * script is there: a checkout), with the package's dist/browser/ and data/ behind it for the files a page-only dist/web
 * leaves out.
 */
async function siteToServe(flags: WebFlags, log: (line: string) => void): Promise<Site> {
  if (flags.root !== undefined) {
    const root = resolve(flags.root);
    if (!existsSync(root) || !statSync(root).isDirectory()) throw new Error(`--root ${flags.root}: no such folder`);
    if (!existsSync(join(root, 'index.html'))) throw new Error(`--root ${flags.root}: no index.html in it (build the page with \`npm run build:web\`)`);
    return { root, fallbacks: [] };
  }
  const dir = defaultSiteDir();
  const state = siteState();
  const canBuild = existsSync(buildScript());
  if (state.state === 'missing' && (!flags.build || !canBuild)) throw new Error(`${dir} not found: run \`npm run build:web\` first`);
  if (state.state !== 'fresh' && flags.build && canBuild) {
    log(`alexnet web: building the page (${state.state === 'missing' ? `${dir} is missing` : state.reason})…`);
    await buildSite();
  }
  if (!existsSync(join(dir, 'alexnet-ts.js')) && !existsSync(join(browserDir(), 'alexnet-ts.js'))) {
    throw new Error(`${dir} has no alexnet-ts.js and neither has ${browserDir()}, which the page loads: run \`npm run build\``);
  }
  // A checkout's full site has these files itself; only folders that exist are served from.
  return { root: dir, fallbacks: siteFallbacks().filter(({ dir: folder }) => existsSync(folder)) };
}

/** Whether `host` is reached only from this machine: a loopback address or a localhost name, which browsers count as secure. */
export function isLoopbackHost(host: string): boolean {
  const name = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  if (isIPv4(name)) return name.startsWith('127.');
  if (isIPv6(name)) return name === '::1' || /^::ffff:127\./.test(name);
  return false;
}

/**
 * What the startup line says about cross-origin isolation. Browsers honour COOP/COEP only in a secure context
 * (HTTPS, or http://localhost and loopback addresses): a page opened over plain HTTP at another address gets the
 * headers but is not isolated, so it runs single-threaded. Said up front, as the page alone cannot tell why.
 */
export function isolationNote(host: string): string {
  if (isLoopbackHost(host)) return 'cross-origin isolated: COOP/COEP headers sent';
  return (
    'COOP/COEP headers sent, but browsers honour them only over HTTPS or on localhost: ' +
    'opened over plain HTTP from another address the page is not cross-origin isolated and runs single-threaded'
  );
}

export function register(program: Command): void {
  program
    .command('web')
    .description('serve the browser demo page (classify, feature maps, live training) on a local web server')
    .addOption(new Option('--port <n>', 'port to listen on (0: any free port)').default('8080'))
    .addOption(new Option('--host <address>', 'address to listen on (threads need the page opened over HTTPS or on localhost)').default('127.0.0.1'))
    .option('--root <dir>', 'serve this folder instead of the built page (dist/web)')
    .option('--no-build', 'serve dist/web as it is, without rebuilding it when the sources changed')
    .action(
      runAction(async (flags: WebFlags) => {
        const port = parseNonNegativeInt(flags.port, '--port');
        if (port > 65535) throw new Error(`--port '${flags.port}': expected 0 to 65535`);
        const log = (line: string): void => void process.stderr.write(`${line}\n`);
        const { root, fallbacks } = await siteToServe(flags, log);
        const server = await StaticServer.start({ root, fallbacks, host: flags.host, port, log }).catch((error: NodeJS.ErrnoException) => {
          if (error.code === 'EADDRINUSE') throw new Error(`--port ${port}: ${flags.host}:${port} is already in use (pick another with --port, or 0 for any)`);
          throw error;
        });
        const stop = (): void => {
          void server.close().then(() => process.exit(0));
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
        process.stdout.write(`alexnet web: serving ${root} at ${server.url} (${isolationNote(flags.host)}); Ctrl-C stops\n`);
      }),
    );
}
