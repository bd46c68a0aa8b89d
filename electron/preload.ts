import { contextBridge, ipcRenderer, webUtils } from 'electron';
import { CHANNEL_NAMES, EVENT_CHANNEL, EVENT_NAMES, type Api, type Bridge, type EventName } from '../shared/contract';

/**
 * The only bridge between the sandboxed renderer and main: one function per contract channel, one
 * event subscription, and the OS path of a dropped file (webUtils, DESIGN.md rule 9). Nothing else.
 */
const invoke = Object.fromEntries(CHANNEL_NAMES.map((channel) => [channel, (input: unknown) => ipcRenderer.invoke(channel, input)])) as unknown as Api;

const bridge = {
  invoke,
  subscribe(listener: (name: EventName, payload: unknown) => void) {
    const handler = (_e: unknown, name: string, payload: unknown) => {
      if ((EVENT_NAMES as readonly string[]).includes(name)) listener(name as EventName, payload);
    };
    ipcRenderer.on(EVENT_CHANNEL, handler);
    return () => {
      ipcRenderer.off(EVENT_CHANNEL, handler);
    };
  },
  pathForFile: (file: File): string => webUtils.getPathForFile(file),
} satisfies Bridge & Readonly<{ pathForFile: (file: File) => string }>;

contextBridge.exposeInMainWorld('talkbatch', bridge);
