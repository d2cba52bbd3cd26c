// Everything the pages render from data goes through `h`, which sets text, never markup.

type Child = Node | string | null | undefined | false;
type Attributes = Record<string, string | boolean | undefined>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === true) element.setAttribute(name, '');
    else if (typeof value === 'string') element.setAttribute(name, value);
  }
  for (const child of children) {
    if (child !== null && child !== undefined && child !== false) element.append(child);
  }
  return element;
}

/** A table cell that names its column, which phone-width screens show beside the value. */
export function cell(label: string, ...children: Child[]): HTMLTableCellElement {
  return h('td', { 'data-label': label }, h('div', { class: 'cell' }, ...children));
}

/** The element with this id, of this type; a page without it is a bug worth failing loudly on. */
export function byId<T extends HTMLElement>(id: string, type: new () => T): T {
  const element = document.getElementById(id);
  if (!(element instanceof type)) throw new Error(`#${id} is missing`);
  return element;
}

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export function formatDate(iso: string | null): string {
  return iso ? dateFormat.format(new Date(iso)) : 'Never';
}

export function timeElement(iso: string | null): Node {
  if (!iso) return document.createTextNode('Never');
  return h('time', { datetime: iso, title: iso }, formatDate(iso));
}

/** Shows a message in an alert box, or hides the box when the message is empty. */
export function showError(box: HTMLElement, message: string): void {
  box.textContent = message;
  box.hidden = message === '';
}

/** Dialog buttons marked `data-close` close their dialog (Escape does too, natively). */
export function wireDialog(dialog: HTMLDialogElement): void {
  for (const button of dialog.querySelectorAll<HTMLButtonElement>('[data-close]')) {
    button.addEventListener('click', () => dialog.close());
  }
}

/** Disables a form's submit button while its request runs, so a double click sends one request. */
export async function busy<T>(button: HTMLButtonElement, work: () => Promise<T>): Promise<T> {
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  try {
    return await work();
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
  }
}

/**
 * A Copy button for a value shown once (a token, a client secret): copies `input`'s value and says so in
 * `status`. No Clipboard API on plain-http origins, and inside a partner's iframe it needs the frame's
 * permission: either way the value stays selected for a manual copy.
 */
export function wireCopyButton(
  button: HTMLButtonElement,
  input: HTMLInputElement,
  status: HTMLElement,
  what: string,
): void {
  button.addEventListener('click', () => {
    input.select();
    const manual = (): void => {
      status.textContent = `Press Ctrl+C (⌘C) to copy the selected ${what}.`;
    };
    const clipboard = navigator.clipboard as Clipboard | undefined;
    if (!clipboard) return manual();
    clipboard.writeText(input.value).then(() => {
      status.textContent = `Copied the ${what} to the clipboard.`;
    }, manual);
  });
}
