import { useRef, type ReactNode } from 'react';
import { useFocusTrap } from './use-focus-trap';

/** A modal dialog: a backdrop that closes it, focus kept inside, Escape closes, focus returned after. */
export function Dialog({ label, labelledBy, onClose, children, wide, className }: { label?: string; labelledBy?: string; onClose: () => void; children: ReactNode; wide?: boolean; className?: string }) {
  const ref = useRef<HTMLDivElement>(null);
  useFocusTrap(ref, onClose, { modal: true });
  return (
    <div className="modal-back" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div
        ref={ref}
        className={`modal${wide ? ' wide' : ''}${className ? ` ${className}` : ''}`}
        role="dialog"
        aria-modal="true"
        {...(labelledBy ? { 'aria-labelledby': labelledBy } : { 'aria-label': label })}
        tabIndex={-1}
      >
        {children}
      </div>
    </div>
  );
}
