/** Copy-ready stream URLs of the selected session, for decoders. */
import { useRef, useState } from 'react';
import { selectSelectedSession, useStudio } from '../state/hooks.ts';
import { CopyIcon } from './Icons.tsx';

export function StreamUrls() {
  const session = useStudio(selectSelectedSession);
  if (!session) return null;
  return (
    <div className="stream-urls" data-testid="stream-urls">
      <h3>
        Stream URLs <span className="muted">· {session.code}</span>
      </h3>
      <UrlField label="JSON" testId="json" url={session.streamUrl} />
      <UrlField label="Binary" testId="binary" url={session.binaryStreamUrl} />
    </div>
  );
}

function UrlField({ label, testId, url }: { label: string; testId: string; url: string }) {
  const codeRef = useRef<HTMLElement>(null);
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(url);
    } catch {
      // No clipboard permission (e.g. an insecure origin): select the text for Ctrl+C.
      const sel = window.getSelection();
      if (sel && codeRef.current) sel.selectAllChildren(codeRef.current);
    }
    setCopied(true);
    setTimeout(() => setCopied(false), 1500);
  };
  return (
    <div className="url-field">
      <span className="url-label">{label}</span>
      <button
        type="button"
        className={`btn-small btn-copy${copied ? ' copied' : ''}`}
        data-testid={`copy-url-${testId}`}
        title={`Copy the ${label} stream URL`}
        onClick={() => void copy()}
      >
        <CopyIcon />
        <span>{copied ? 'Copied' : 'Copy'}</span>
      </button>
      <code ref={codeRef} className="url-text" data-testid={`stream-url-${testId}`} title={url}>
        {breakAfterSlashes(url)}
      </code>
    </div>
  );
}

/** Lets a long URL wrap after a slash rather than mid-word (the text itself is unchanged). */
function breakAfterSlashes(url: string) {
  return url.split(/(?<=\/)/).map((part, i) => (
    <span key={i}>
      {part}
      <wbr />
    </span>
  ));
}
