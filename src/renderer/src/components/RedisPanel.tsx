/**
 * The Redis bridge (BRAND): where it publishes, whether Redis is there (or when the next attempt
 * is), what each session wrote, dropped or could not write, and the decoder streams it scores.
 * Settings are checked here by the same parser main uses, so a typo is named before sending.
 */
import { useEffect, useState } from 'react';
import { parseRedisConfig } from '../../../shared/redisConfig.ts';
import type { RedisStatus } from '../../../shared/studioApi.ts';
import { formatCount } from '../data/format.ts';
import { useStore } from '../state/hooks.ts';

const STATE_TEXT: Record<RedisStatus['state'], string> = { off: 'OFF', connecting: 'CONNECTING', connected: 'CONNECTED', retrying: 'RETRYING' };

export function RedisPanel() {
  const store = useStore();
  const [status, setStatus] = useState<RedisStatus | null>(null);
  const [url, setUrl] = useState('redis://127.0.0.1:6379/0');
  const [sessions, setSessions] = useState('');
  const [decoders, setDecoders] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [now, setNow] = useState(Date.now());
  useEffect(() => store.api.subscribe('redis', [], setStatus), [store]);
  // The countdown to the next attempt moves while retrying.
  useEffect(() => {
    if (status?.state !== 'retrying') return;
    const t = setInterval(() => setNow(Date.now()), 500);
    return () => clearInterval(t);
  }, [status?.state]);

  const on = status !== null && status.state !== 'off';
  const run = async (fn: () => Promise<RedisStatus>) => {
    setBusy(true);
    setError(null);
    try {
      setStatus(await fn());
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const connect = () => {
    const c = parseRedisConfig({
      url: url.trim(),
      ...(sessions.trim() && { sessions: sessions.trim() }),
      decoders: decoders.split(/\s+/).filter(Boolean),
    });
    if ('problem' in c) return setError(c.problem);
    void run(() => store.api.redisConnect(c));
  };

  return (
    <section className="panel redis-panel" aria-label="Redis bridge" data-testid="redis-panel">
      <header className="panel-header">
        <h2>Redis · BRAND</h2>
        <span className={`badge redis-state redis-${status?.state ?? 'off'}`} data-testid="redis-state">
          {STATE_TEXT[status?.state ?? 'off']}
        </span>
      </header>
      {on ? (
        <div className="redis-line">
          <span className="mono" title={status.url ?? ''}>
            {status.url}
          </span>
          <button type="button" className="btn btn-quiet" data-testid="redis-disconnect" disabled={busy} onClick={() => void run(() => store.api.redisDisconnect())}>
            Disconnect
          </button>
        </div>
      ) : (
        <form
          className="redis-form"
          onSubmit={(e) => {
            e.preventDefault();
            connect();
          }}
        >
          <input aria-label="Redis URL" data-testid="redis-url" className="mono" spellCheck={false} value={url} onChange={(e) => setUrl(e.target.value)} />
          <input aria-label="Sessions to publish" data-testid="redis-sessions" placeholder="sessions: brand (or all, or a,b)" spellCheck={false} value={sessions} onChange={(e) => setSessions(e.target.value)} />
          <input aria-label="Decoder streams to score" data-testid="redis-decoders" placeholder="decoder streams: wiener_filter:wiener:vx,vy" spellCheck={false} value={decoders} onChange={(e) => setDecoders(e.target.value)} />
          <button type="submit" className="btn" data-testid="redis-connect" disabled={busy}>
            Connect
          </button>
        </form>
      )}
      {status?.state === 'retrying' && (
        <p className="redis-retry" role="status" data-testid="redis-retry">
          Redis unreachable{status.lastError ? ` (${status.lastError})` : ''}; next attempt in {Math.max(0, Math.ceil(((status.nextAttemptAt ?? now) - now) / 1000))} s. WebSocket streaming goes on.
        </p>
      )}
      {error && (
        <p className="redis-error" role="alert" data-testid="redis-error">
          {error}
        </p>
      )}
      {on && status.sessions.length > 0 && (
        <div className="redis-table" role="table" aria-label="Published sessions">
          <div className="redis-row redis-head" role="row">
            <span role="columnheader">Session · streams</span>
            <span role="columnheader" className="num">Written</span>
            <span role="columnheader" className="num">Dropped</span>
            <span role="columnheader" className="num">Lag</span>
          </div>
          {status.sessions.map((s) => (
            <div key={s.code} role="row" className="redis-row" data-testid={`redis-session-${s.code}`}>
              <span role="cell" className="redis-streams" title={[...s.streams, s.metadataKey].join('\n')}>
                <span className="mono">{s.code}</span> <span className="muted">{s.streams[0]} +{s.streams.length - 1}</span>
              </span>
              <span role="cell" className="num">{formatCount(s.written)}</span>
              <span role="cell" className={`num${s.dropped + s.failed > 0 ? ' warn' : ''}`} title={`${s.dropped} dropped (Redis too slow), ${s.failed} not written (Redis away or refused), ${s.clipped} counts clipped to 127`}>
                {formatCount(s.dropped + s.failed)}
              </span>
              <span role="cell" className="num">{s.lagMs === null ? '–' : `${s.lagMs.toFixed(1)} ms`}</span>
            </div>
          ))}
        </div>
      )}
      {on &&
        status.decoders.map((d) => (
          <div key={d.stream} className="redis-decoder" data-testid={`redis-decoder-${d.stream}`}>
            <span className="mono">{d.stream}</span> → {d.name} ({d.axes.join(', ')}): {formatCount(d.scored)} scored
            {d.malformed > 0 && (
              <span className="warn" title={d.lastProblem ?? ''}>
                {' '}
                · {formatCount(d.malformed)} malformed: {d.lastProblem}
              </span>
            )}
          </div>
        ))}
    </section>
  );
}
