import { Injectable, type OnModuleInit } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface WebAsset {
  body: Buffer;
  contentType: string;
  etag: string;
}

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

// `npm run build` puts the compiled client modules, the stylesheet and the icon here, beside this file.
const ASSET_DIR = fileURLToPath(new URL('./client/', import.meta.url));

/**
 * The pages' scripts, stylesheet and icon: a few kilobytes, read once at start-up and served from memory.
 * Only names found in the build directory exist; a request can never reach another file.
 */
@Injectable()
export class WebAssets implements OnModuleInit {
  private readonly assets = new Map<string, WebAsset>();

  async onModuleInit(): Promise<void> {
    const names = await readdir(ASSET_DIR).catch(() => {
      throw new Error(`The web assets are missing from ${ASSET_DIR}: run npm run build`);
    });
    for (const name of names) {
      const contentType = CONTENT_TYPES[extname(name)];
      if (!contentType) continue;
      const body = await readFile(join(ASSET_DIR, name));
      const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
      this.assets.set(name, { body, contentType, etag });
    }
  }

  get(name: string): WebAsset | undefined {
    return this.assets.get(name);
  }
}
