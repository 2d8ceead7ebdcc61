/** The studio window: layout, global keys, presentation mode. */
import { useEffect } from 'react';
import { isTypingTarget, transportKeyAction } from './data/keys.ts';
import { useStore, useStudio } from './state/hooks.ts';
import { ConnectionBanner, Header, StatusBar, Toasts } from './components/Chrome.tsx';
import { ClientsPanel } from './components/ClientsPanel.tsx';
import { DatasetPanel } from './components/DatasetPanel.tsx';
import { RedisPanel } from './components/RedisPanel.tsx';
import { DecodersPanel } from './components/DecodersPanel.tsx';
import { Plots } from './components/Plots.tsx';
import { Readouts } from './components/Readouts.tsx';
import { RecordingsPanel } from './components/RecordingsPanel.tsx';
import { SessionsPanel } from './components/SessionsPanel.tsx';
import { StressPanel } from './components/StressPanel.tsx';
import { Transport } from './components/Transport.tsx';
import { TrialsPanel } from './components/TrialsPanel.tsx';
import { Workspace } from './components/Workspace.tsx';

export function App() {
  const store = useStore();
  const presentation = useStudio((s) => s.presentation);
  const disconnected = useStudio((s) => s.host === 'browser' && s.connection === 'down');
  useTransportKeys();

  useEffect(() => {
    document.documentElement.classList.toggle('presentation', presentation);
  }, [presentation]);

  return (
    <div className={`app${presentation ? ' presentation' : ''}${disconnected ? ' disconnected' : ''}`} data-testid="app" data-presentation={presentation}>
      <ConnectionBanner />
      <Header />
      <aside className="sidebar-left">
        <SessionsPanel />
        <StressPanel />
        <TrialsPanel />
        <RecordingsPanel />
      </aside>
      <div className="stage">
        <Transport />
        <Readouts />
        <div className="stage-main">
          <Plots />
          <aside className="sidebar-right">
            <Workspace />
            <DecodersPanel />
            <ClientsPanel />
            <RedisPanel />
            <DatasetPanel />
          </aside>
        </div>
      </div>
      <StatusBar />
      <Toasts />
      {presentation && (
        <button type="button" className="presentation-exit" data-testid="presentation-exit" onClick={() => store.setPresentation(false)}>
          Exit presentation (Esc)
        </button>
      )}
    </div>
  );
}

/** Space, arrows, Home/End, [ ] — unless the user is typing somewhere. */
function useTransportKeys(): void {
  const store = useStore();
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape' && store.state.presentation) {
        store.setPresentation(false);
        return;
      }
      const el = e.target instanceof HTMLElement ? e.target : null;
      const target = el && { tagName: el.tagName, type: (el as HTMLInputElement).type, isContentEditable: el.isContentEditable };
      const action = transportKeyAction({
        key: e.key,
        shiftKey: e.shiftKey,
        altKey: e.altKey,
        ctrlKey: e.ctrlKey,
        metaKey: e.metaKey,
        repeat: e.repeat,
        target,
      });
      if (!action) {
        // A held space does nothing, and must not click a focused button or scroll either.
        if (e.key === ' ' && e.repeat && !isTypingTarget(target)) e.preventDefault();
        return;
      }
      // Space would also "click" a focused button and arrows would scroll: the transport owns them.
      e.preventDefault();
      switch (action.kind) {
        case 'toggle-play':
          void store.togglePlay();
          break;
        case 'step':
          void store.step(action.seconds);
          break;
        case 'jump': {
          const pb = store.state.playback;
          if (pb) void store.seek(action.to === 'start' ? 0 : pb.durationS);
          break;
        }
        case 'speed':
          void store.stepSpeed(action.direction);
          break;
      }
    };
    // A space keyup on a focused button would click it after we already toggled.
    const onKeyUp = (e: KeyboardEvent) => {
      if (e.key === ' ' && e.target instanceof HTMLButtonElement) e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    window.addEventListener('keyup', onKeyUp);
    return () => {
      window.removeEventListener('keydown', onKey);
      window.removeEventListener('keyup', onKeyUp);
    };
  }, [store]);
}
