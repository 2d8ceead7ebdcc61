/** How components read the store: one small selector per concern, re-rendering only on change. */
import { createContext, useContext, useSyncExternalStore } from 'react';
import type { SessionSummary } from '../../../shared/studioApi.ts';
import type { SessionFilters } from '../../../shared/wire.ts';
import type { StudioState, StudioStore } from './store.ts';

export const StoreContext = createContext<StudioStore | null>(null);

export function useStore(): StudioStore {
  const store = useContext(StoreContext);
  if (!store) throw new Error('useStore outside <StoreContext.Provider>');
  return store;
}

/** Selects a slice of the state; the selector must return something already in the state (or a primitive). */
export function useStudio<T>(selector: (s: StudioState) => T): T {
  const store = useStore();
  const get = () => selector(store.getState());
  // The same getter on a server render (tests render components to markup in plain Node).
  return useSyncExternalStore(store.subscribe, get, get);
}

const NO_FILTERS: SessionFilters = Object.freeze({ trial_id: null, target_id: null });

export const selectFilters = (s: StudioState): SessionFilters => s.playback?.filters ?? NO_FILTERS;
export const selectSelectedSession = (s: StudioState): SessionSummary | undefined => s.sessions.find((x) => x.code === s.selected);

export function useFilters(): SessionFilters {
  const trial = useStudio((s) => selectFilters(s).trial_id);
  const target = useStudio((s) => selectFilters(s).target_id);
  // Two primitives, so a new snapshot with the same filters does not re-render.
  return cachedFilters(trial, target);
}

const filterCache = new Map<string, SessionFilters>();
function cachedFilters(trial: number | null, target: number | null): SessionFilters {
  const key = `${trial}|${target}`;
  let f = filterCache.get(key);
  if (!f) {
    f = Object.freeze({ trial_id: trial, target_id: target });
    if (filterCache.size > 512) filterCache.clear();
    filterCache.set(key, f);
  }
  return f;
}
