/** Every connected decoder: endpoint, address, packets sent, drops and lag (bytes queued on its socket). */
import { formatBytes, formatCount } from '../data/format.ts';
import { useStudio } from '../state/hooks.ts';

export function ClientsPanel() {
  const clients = useStudio((s) => s.clients);
  const selected = useStudio((s) => s.selected);
  return (
    <section className="panel clients-panel" aria-label="Connected decoders" data-testid="clients-panel">
      <header className="panel-header">
        <h2>Clients</h2>
        <span className="panel-meta">{clients.length === 1 ? '1 decoder' : `${clients.length} decoders`}</span>
      </header>
      {clients.length === 0 ? (
        <p className="empty">No decoders connected. Copy a stream URL from the session to connect one.</p>
      ) : (
        <div className="clients-table" role="table">
          <div className="client-row client-head" role="row">
            <span role="columnheader">Endpoint</span>
            <span role="columnheader">Session · from</span>
            <span role="columnheader" className="num">
              Sent
            </span>
            <span role="columnheader" className="num">
              Drops
            </span>
            <span role="columnheader" className="num">
              Lag
            </span>
          </div>
          {clients.map((c) => (
            <div
              key={c.id}
              role="row"
              className={`client-row${c.session === selected ? ' is-followed' : ''}`}
              data-testid={`client-row-${c.id}`}
              data-endpoint={c.endpoint}
              data-session={c.session}
            >
              <span role="cell">
                <span className={`badge badge-${c.endpoint}`}>{c.endpoint === 'binary' ? 'BINARY' : 'JSON'}</span>
              </span>
              <span role="cell" className="client-where" title={`${c.session} · ${c.address}`}>
                <span className="client-session">{c.session}</span> <span className="muted">{c.address}</span>
              </span>
              <span role="cell" className="num">
                {formatCount(c.packetsSent)}
              </span>
              <span role="cell" className={`num${c.drops > 0 ? ' warn' : ''}`}>
                {formatCount(c.drops)}
              </span>
              <span role="cell" className={`num${c.bufferedBytes > 256 * 1024 ? ' warn' : ''}`} title="Bytes queued on the socket">
                {formatBytes(c.bufferedBytes)}
              </span>
            </div>
          ))}
        </div>
      )}
    </section>
  );
}
