/** Inline SVG icons (no icon font, nothing fetched: the CSP allows only 'self'). */
const base = { width: 20, height: 20, viewBox: '0 0 20 20', 'aria-hidden': true, focusable: false } as const;

export const PlayIcon = () => (
  <svg {...base}>
    <path d="M5 3.5v13l11-6.5z" fill="currentColor" />
  </svg>
);
export const PauseIcon = () => (
  <svg {...base}>
    <rect x="4.5" y="3.5" width="4" height="13" rx="1" fill="currentColor" />
    <rect x="11.5" y="3.5" width="4" height="13" rx="1" fill="currentColor" />
  </svg>
);
export const StopIcon = () => (
  <svg {...base}>
    <rect x="4.5" y="4.5" width="11" height="11" rx="1.5" fill="currentColor" />
  </svg>
);
export const LoopIcon = () => (
  <svg {...base}>
    <path
      d="M4 9a5 5 0 0 1 5-5h4.5M13 1.8 15.3 4 13 6.2M16 11a5 5 0 0 1-5 5H6.5M7 13.8 4.7 16 7 18.2"
      fill="none"
      stroke="currentColor"
      strokeWidth="1.8"
      strokeLinecap="round"
      strokeLinejoin="round"
    />
  </svg>
);
export const CopyIcon = () => (
  <svg {...base} width={16} height={16}>
    <rect x="6.5" y="6.5" width="10" height="10" rx="1.5" fill="none" stroke="currentColor" strokeWidth="1.6" />
    <path d="M13.5 4V3.5a1 1 0 0 0-1-1h-9a1 1 0 0 0-1 1v9a1 1 0 0 0 1 1H4" fill="none" stroke="currentColor" strokeWidth="1.6" />
  </svg>
);
export const PresentIcon = () => (
  <svg {...base}>
    <path d="M3 6V3h3M14 3h3v3M17 14v3h-3M6 17H3v-3" fill="none" stroke="currentColor" strokeWidth="1.8" strokeLinecap="round" />
  </svg>
);
