import pkg from '../../../package.json' with { type: 'json' };

/** The app's version, as package.json says (REST `GET /`, the studio's status bar, recordings). */
export const APP_VERSION: string = pkg.version;
