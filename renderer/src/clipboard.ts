/**
 * Copying text for the user, honestly: the clipboard can refuse (a denied permission, a window
 * without focus), and then the app says so instead of claiming it copied.
 */
export type ClipboardLike = Readonly<{ writeText(text: string): Promise<void> }>;

export type CopyOutcome = Readonly<{ ok: true }> | Readonly<{ ok: false; reason: string }>;

export async function copyText(text: string, clipboard: ClipboardLike | undefined): Promise<CopyOutcome> {
  if (!clipboard) return { ok: false, reason: 'this window has no clipboard access' };
  try {
    await clipboard.writeText(text);
    return { ok: true };
  } catch (e) {
    return { ok: false, reason: (e as Error)?.message || 'the clipboard refused the text' };
  }
}

/** The notice for a copy: what happened, and what to do when it did not. */
export function copyNotice(outcome: CopyOutcome, what: string): Readonly<{ level: 'info' | 'error'; message: string }> {
  if (outcome.ok) return { level: 'info', message: `${what} copied: paste it into your support ticket.` };
  return { level: 'error', message: `${what} was not copied (${outcome.reason}). Select the timeline in the details and copy it by hand.` };
}
