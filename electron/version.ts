declare const __TALKBATCH_VERSION__: string | undefined;

/** Set by the build (scripts/build-node.mjs) from package.json; "dev" when run from source. */
export const VERSION: string = typeof __TALKBATCH_VERSION__ === 'string' ? __TALKBATCH_VERSION__ : '0.0.0-dev';
