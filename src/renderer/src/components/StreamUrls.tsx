/** Copy-ready stream URLs of the selected session, for decoders. */
import { useRef, useState } from 'react';
import { selectSelectedSession, useStudio } from '../state/hooks.ts';
import { CopyIcon } from './Icons.tsx';

export function StreamUrls() {
  // Strings, not the session object: its position changes twice a second while playing, its URLs never.
  const code = useStudio((s) => selectSelectedSession(s)?.code);
  const streamUrl = useStudio((s) => selectSelectedSession(s)?.streamUrl);
  const binaryStreamUrl = useStudio((s) => selectSelectedSession(s)?.binaryStreamUrl);
  if (code === undefined || streamUrl === undefined || binaryStreamUrl === undefined) return null;
  return (
    <div className="stream-urls" data-testid="stream-urls">
      <h3>
        Stream URLs <span className="muted">· {code}</span>
      </h3>
      <UrlField label="JSON" testId="json" url={streamUrl} />
      <UrlField label="Binary" testId="binary" url={binaryStreamUrl} />
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
