// The dial pad and the number field. A key (clicked, or typed while no text field has the
// focus) goes to `onKey`: the page dials it into the number between calls and sends it as
// DTMF during one.

import { cleanNumber } from './format';

const KEYS = '0123456789*#';

export interface DialpadHooks {
  /** A dial-pad key was pressed. */
  onKey(key: string): void;
  /** The number field changed (typed, pasted, or by the pad). */
  onNumberChanged(): void;
  /** Enter in the field, or the Call button. */
  onDial(): void;
}

export class Dialpad {
  constructor(
    private readonly form: HTMLFormElement,
    private readonly input: HTMLInputElement,
    private readonly backspace: HTMLButtonElement,
    private readonly hooks: DialpadHooks,
  ) {
    for (const button of form.querySelectorAll<HTMLButtonElement>('button.dialpad-key')) {
      const key = button.dataset.key ?? '';
      if (!KEYS.includes(key) || key.length !== 1) continue;
      button.addEventListener('click', () => hooks.onKey(key));
    }
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      hooks.onDial();
    });
    input.addEventListener('input', () => hooks.onNumberChanged());
    backspace.addEventListener('click', () => {
      this.deleteLast();
      input.focus();
    });
    document.addEventListener('keydown', (ev) => this.onKeydown(ev));
  }

  /** What to dial (see cleanNumber). */
  get number(): string {
    return cleanNumber(this.input.value);
  }

  set number(value: string) {
    this.input.value = value;
    this.hooks.onNumberChanged();
  }

  append(key: string): void {
    this.input.value += key;
    this.hooks.onNumberChanged();
  }

  deleteLast(): void {
    this.input.value = this.input.value.slice(0, -1);
    this.hooks.onNumberChanged();
  }

  /** The number field is for the next call; during a call it is locked. */
  setLocked(locked: boolean): void {
    this.input.disabled = locked;
    this.backspace.disabled = locked;
  }

  /** Flashes the pad key, so typed keys show where they went. */
  flash(key: string): void {
    const button = this.form.querySelector<HTMLButtonElement>(`button.dialpad-key[data-key="${CSS.escape(key)}"]`);
    if (!button) return;
    button.classList.add('pressed');
    window.setTimeout(() => button.classList.remove('pressed'), 150);
  }

  private onKeydown(ev: KeyboardEvent): void {
    if (ev.defaultPrevented || ev.ctrlKey || ev.metaKey || ev.altKey || isEditable(ev.target)) return;
    if (ev.key.length === 1 && KEYS.includes(ev.key)) {
      ev.preventDefault();
      this.flash(ev.key);
      this.hooks.onKey(ev.key);
    } else if (ev.key === 'Backspace' && !this.input.disabled) {
      ev.preventDefault();
      this.deleteLast();
    }
  }
}

function isEditable(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement;
}
