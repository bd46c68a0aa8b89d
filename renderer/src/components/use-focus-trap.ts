import { useEffect, useRef, type RefObject } from 'react';

const FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), video[controls], iframe, [tabindex]:not([tabindex="-1"])';

/**
 * Keeps Tab inside a dialog while it is open, closes it on Escape, and gives focus back to what had it
 * before (the button that opened it) when it closes: axe found Tab presses going to the page underneath.
 */
export function useFocusTrap(ref: RefObject<HTMLElement | null>, onClose: () => void, opts: Readonly<{ modal?: boolean }> = {}): void {
  const close = useRef(onClose);
  close.current = onClose;
  useEffect(() => {
    const box = ref.current;
    if (!box) return;
    const before = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    // The dialog's first control, unless something inside already asked for focus (autoFocus).
    if (!box.contains(document.activeElement)) {
      const first = box.querySelector<HTMLElement>('[data-autofocus]') ?? box.querySelector<HTMLElement>(FOCUSABLE);
      (first ?? box).focus();
    }
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') {
        e.preventDefault();
        close.current();
        return;
      }
      if (e.key !== 'Tab' || (!opts.modal && !box.contains(document.activeElement))) return;
      const items = [...box.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((el) => el.offsetParent !== null || el === document.activeElement);
      if (!items.length) return;
      const first = items[0]!;
      const last = items[items.length - 1]!;
      if (e.shiftKey && (document.activeElement === first || !box.contains(document.activeElement))) {
        e.preventDefault();
        last.focus();
      } else if (!e.shiftKey && (document.activeElement === last || !box.contains(document.activeElement))) {
        e.preventDefault();
        first.focus();
      }
    };
    document.addEventListener('keydown', onKey, true);
    return () => {
      document.removeEventListener('keydown', onKey, true);
      // Back to the opener, if it is still on the page (a row may have been re-rendered meanwhile).
      if (before && before.isConnected) before.focus();
    };
    // Only on mount: onClose changes identity every render, and the trap must not restart (and steal focus).
  }, [ref]);
}
