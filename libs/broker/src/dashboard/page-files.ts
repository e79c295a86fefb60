import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';

/** One file of the page, held in memory. */
export interface PageFile {
  contentType: string;
  body: Buffer;
  etag: string;
}

/** The dashboard page: `index.html` and its assets (served under `/assets/`). */
export interface DashboardPage {
  index: PageFile;
  assets: ReadonlyMap<string, PageFile>;
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.map': 'application/json',
};

function pageFile(path: string): PageFile {
  const body = readFileSync(path);
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
  return {
    contentType: CONTENT_TYPES[extname(path)] ?? 'application/octet-stream',
    body,
    etag,
  };
}

/**
 * Reads the built page from `dir` (the broker's build puts it in `web/` beside main.js): every
 * file, once, at start. Undefined when `dir` holds no `index.html`.
 */
export function loadDashboardPage(dir: string): DashboardPage | undefined {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return undefined;
  }
  if (!names.includes('index.html')) return undefined;
  const assets = new Map<string, PageFile>();
  for (const name of names) {
    if (name !== 'index.html' && CONTENT_TYPES[extname(name)] !== undefined) {
      assets.set(name, pageFile(join(dir, name)));
    }
  }
  return { index: pageFile(join(dir, 'index.html')), assets };
}
