import { busy, byId, wireDialog } from './dom.js';

/** The page's one confirmation dialog (#confirm-dialog): asks, and on "yes" runs the action, then closes. */
export class Confirmation {
  private readonly dialog = byId('confirm-dialog', HTMLDialogElement);
  private readonly text = byId('confirm-text', HTMLParagraphElement);
  private readonly submit = byId('confirm-submit', HTMLButtonElement);
  private action?: () => Promise<void>;

  constructor() {
    wireDialog(this.dialog);
    byId('confirm-form', HTMLFormElement).addEventListener('submit', (event) => {
      event.preventDefault();
      const action = this.action;
      if (!action) return;
      void busy(this.submit, async () => {
        await action();
        this.dialog.close();
      });
    });
  }

  ask(text: string, action: () => Promise<void>): void {
    this.text.textContent = text;
    this.action = action;
    this.dialog.showModal();
  }
}
