/**
 * A request target → the path of a file under the site root, or the reason
 * it names none. Each segment is percent-decoded on its own, and a decoded
 * segment that is `.` or `..`, holds a slash, a backslash or a NUL, or starts
 * with a dot (hidden files), is refused: however a client spells `..`
 * (`/../`, `/%2e%2e/`, `/%2E%2e%2F`, `..%5c`), it never climbs out of the root.
 */
import { join, resolve, sep } from 'node:path';

export type RequestPath =
  | { ok: true; path: string /** The target ends in '/' (a directory's index is wanted). */; trailingSlash: boolean; pathname: string }
  | { ok: false; status: 400 | 404; reason: string };

export function resolveRequestPath(root: string, target: string): RequestPath {
  // Absolute-form targets (`GET http://host/x`) carry the path after the authority.
  let pathname = target;
  const absolute = /^[a-z][a-z0-9+.-]*:\/\/[^/]*/i.exec(pathname);
  if (absolute !== null) pathname = pathname.slice(absolute[0].length) || '/';
  const end = pathname.search(/[?#]/);
  if (end >= 0) pathname = pathname.slice(0, end);
  if (!pathname.startsWith('/')) return { ok: false, status: 400, reason: 'the request target is not a path' };
  const segments: string[] = [];
  for (const raw of pathname.split('/').slice(1)) {
    if (raw === '') continue;
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      return { ok: false, status: 400, reason: 'malformed percent-encoding in the path' };
    }
    if (segment === '.' || segment === '..' || /[/\\\0]/.test(segment)) return { ok: false, status: 400, reason: 'the path leaves the site' };
    if (segment.startsWith('.')) return { ok: false, status: 404, reason: 'not found' };
    segments.push(segment);
  }
  const base = resolve(root);
  const path = resolve(join(base, ...segments));
  // Belt and braces: the joined path must still lie inside the root.
  if (path !== base && !path.startsWith(base + sep)) return { ok: false, status: 400, reason: 'the path leaves the site' };
  return { ok: true, path, trailingSlash: pathname.endsWith('/'), pathname };
}
