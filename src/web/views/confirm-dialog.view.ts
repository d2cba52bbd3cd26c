import { html, type SafeHtml } from '../html.js';

/** The confirmation dialog that client/confirmation.ts drives; its question is filled in on each use. */
export function confirmDialog(title: string, action: string): SafeHtml {
  return html`<dialog id="confirm-dialog" aria-labelledby="confirm-title">
    <form id="confirm-form" method="dialog">
      <h2 id="confirm-title">${title}</h2>
      <p id="confirm-text"></p>
      <div class="actions">
        <button type="button" class="quiet" data-close>Cancel</button>
        <button type="submit" class="danger" id="confirm-submit">${action}</button>
      </div>
    </form>
  </dialog>`;
}
