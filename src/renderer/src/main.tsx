/**
 * Renderer entry: pick the host bridge (Electron preload or the browser host's studio
 * channel), start the store's subscriptions and the frame loop, render the studio.
 */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import 'uplot/dist/uPlot.min.css';
import './styles/theme.css';
import './styles/layout.css';
import './styles/panels.css';
import './styles/plots.css';
import './styles/decoders.css';
import './styles/stress.css';
import './styles/recordings.css';
import './styles/presentation.css';
import { App } from './App.tsx';
import { selectHost } from './host/index.ts';
import { FrameLoop, FrameLoopContext } from './live/frameLoop.ts';
import { DOM_TEXT_MS, flushLiveTexts } from './live/liveText.ts';
import { StoreContext } from './state/hooks.ts';
import { StudioStore } from './state/store.ts';

const host = selectHost();
const store = new StudioStore(host);
store.batchServerState = true;
store.start();
const loop = new FrameLoop(store);
// The DOM copies of the live values, the trial and target React shows (the trial list's marker,
// the current target on the map) and the server's session list, clients and metrics are brought
// up to date together, every DOM_TEXT_MS and at once after a seek: one frame of layout and paint
// twice a second.
let domSyncedMs = -Infinity;
loop.add(
  ({ now, reset }) => {
    if (!reset && now - domSyncedMs < DOM_TEXT_MS) return;
    domSyncedMs = now;
    flushLiveTexts();
    store.publishLive();
  },
  { phase: 'write' },
);
loop.start();

// Electron's full screen / View › Presentation reaches the store as the `presentation` event.
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <StoreContext.Provider value={store}>
      <FrameLoopContext.Provider value={loop}>
        <App />
      </FrameLoopContext.Provider>
    </StoreContext.Provider>
  </StrictMode>,
);
