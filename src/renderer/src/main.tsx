import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';

/** Placeholder until the studio window lands: the engine and server run headless today. */
function App() {
  return (
    <main style={{ fontFamily: 'system-ui, sans-serif', background: '#0b0f14', color: '#e6edf3', minHeight: '100vh', padding: 48 }}>
      <h1 style={{ fontWeight: 600 }}>PhantomLink Studio</h1>
      <p>The studio window is under construction. Decoders can stream now: run <code>npx phantomlink serve</code>.</p>
    </main>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
