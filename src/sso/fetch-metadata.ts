/**
 * A request as Fetch Metadata describes it (https://www.w3.org/TR/fetch-metadata/): the method and the
 * `Sec-Fetch-Site`, `Sec-Fetch-Mode` and `Sec-Fetch-Dest` header values as received, undefined when absent.
 */
export interface FetchMetadata {
  method: string;
  site: string | undefined;
  mode: string | undefined;
  dest: string | undefined;
}

// Sent only by the browser itself: a page can neither set nor forge them (Fetch, "forbidden request-header").
const OWN_SITE = new Set(['same-origin', 'same-site', 'none']);
const FRAMES = new Set(['iframe', 'frame']);

/**
 * Whether a sign-in link may be followed by this request: the Resource Isolation Policy
 * (https://web.dev/articles/fetch-metadata), narrowed for a request that starts a session. Another site may
 * only send the person to the link as a page they see: a top-level document, or a frame when FRAME_ANCESTORS
 * lets partners frame us (`framingAllowed`). `<object>` and `<embed>` loads also arrive as `navigate`, and
 * `fetch()`, `<img>` or `<script>` in the background: all refused. Values we do not know (a repeated header,
 * a future destination) fail closed.
 */
export function allowsSignInLanding(request: FetchMetadata, framingAllowed: boolean): boolean {
  // No Fetch Metadata: an old browser, curl, or Node's fetch (which sends Sec-Fetch-Mode: cors and no
  // Sec-Fetch-Site). Nothing in another site's page can make such a request carry the person's browser.
  if (request.site === undefined) return true;
  // Typed or bookmarked (`none`), or a link on this site or a sibling.
  if (OWN_SITE.has(request.site)) return true;
  // Cross-site (or unknown): a simple navigation only; a POST navigation is a form another site submits.
  if (request.mode !== 'navigate' || request.method !== 'GET') return false;
  if (request.dest === 'document') return true;
  return framingAllowed && request.dest !== undefined && FRAMES.has(request.dest);
}
