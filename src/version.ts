declare const __MAILENGINE_VERSION__: string | undefined;

/** Injected by the build (and by the test config) from package.json. */
export const VERSION: string = typeof __MAILENGINE_VERSION__ === 'string' ? __MAILENGINE_VERSION__ : '0.0.0-dev';
