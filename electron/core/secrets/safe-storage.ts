import { safeStorage } from 'electron';
import type { Cipher } from './cipher';

/**
 * The Electron vault cipher: the OS keychain (Keychain, DPAPI, libsecret/kwallet) via safeStorage.
 * On Linux without a secret service safeStorage falls back to `basic_text` (a hard-coded key):
 * the app says so in Settings instead of pretending the keys are protected.
 */
export function safeStorageCipher(): Cipher {
  const backend = process.platform === 'linux' ? safeStorage.getSelectedStorageBackend() : 'os';
  const available = safeStorage.isEncryptionAvailable();
  const secure = available && backend !== 'basic_text' && backend !== 'unknown';
  return {
    scheme: `safeStorage:${backend}`,
    secure,
    description: secure
      ? 'API keys are encrypted by your operating system’s keychain.'
      : 'No secure keychain was found on this system (Linux “basic_text”): API keys are only obfuscated. Install and unlock a secret service (GNOME Keyring or KWallet) to protect them.',
    encrypt: (plain) => safeStorage.encryptString(plain),
    decrypt: (blob) => safeStorage.decryptString(blob),
  };
}
