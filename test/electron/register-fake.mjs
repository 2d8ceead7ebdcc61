import { register } from 'node:module';

register('./fake-loader.mjs', import.meta.url);
