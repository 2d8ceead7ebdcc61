import { join } from 'node:path';
import type { HttpListener } from '../http/listener.ts';
import { packageRoot } from '../common/packageRoot.ts';
import { staticFiles } from '../http/staticFiles.ts';
import { StudioChannel } from './studioChannel.ts';
import type { StudioService } from './studioService.ts';

/** The studio page and its assets carry no data; the page then connects with the token from its URL. */
function isStudioAsset(pathname: string): boolean {
  return pathname === '/studio' || (pathname.startsWith('/studio/') && pathname !== '/studio/channel');
}

/** Serves the built renderer (npm run build) at /studio/, for any browser. */
export function mountStudioPages(listener: HttpListener): void {
  listener.allowWithoutToken(isStudioAsset);
  listener.onRequest((_req, res, url) => {
    if (url.pathname !== '/studio') return false;
    res.writeHead(301, { Location: '/studio/' });
    res.end();
    return true;
  });
  listener.onRequest(staticFiles({ '/studio/': join(packageRoot(), 'out', 'renderer') }));
}

/** StudioApi for the browser host at ws://…/studio/channel; only pages this server serves may open it. */
export function mountStudioChannel(listener: HttpListener, service: StudioService): StudioChannel {
  const channel = new StudioChannel(service, () => listener.origins);
  listener.onUpgrade(channel);
  return channel;
}
