/** Play/pause, stop, the scrubber, the position readout, speed and loop. */
import { formatClock, formatSpeed } from '../data/format.ts';
import { SPEED_PRESETS } from '../data/keys.ts';
import { useFrame } from '../live/frameLoop.ts';
import { useLiveTexts } from '../live/liveText.ts';
import { useStore, useStudio } from '../state/hooks.ts';
import { LoopIcon, PauseIcon, PlayIcon, StopIcon } from './Icons.tsx';
import { Scrubber } from './Scrubber.tsx';

export function Transport() {
  const store = useStore();
  const status = useStudio((s) => s.playback?.status ?? null);
  const speed = useStudio((s) => s.playback?.speed ?? 1);
  const loop = useStudio((s) => s.playback?.loop ?? true);
  const durationS = useStudio((s) => s.playback?.durationS ?? 0);
  const disabled = status === null;
  const playing = status === 'playing';
  const [posText] = useLiveTexts(1);

  useFrame(({ now, reset }) => posText.set(formatClock(store.positionAt(now)), reset), { phase: 'write' });

  const speeds: number[] = SPEED_PRESETS.includes(speed as (typeof SPEED_PRESETS)[number]) ? [...SPEED_PRESETS] : [...SPEED_PRESETS, speed].sort((a, b) => a - b);

  return (
    <div className="transport" data-testid="transport">
      <div className="transport-buttons">
        <button
          type="button"
          className={`btn-icon btn-play${playing ? ' is-playing' : ''}`}
          data-testid="transport-play-pause"
          data-status={status ?? 'none'}
          aria-label={playing ? 'Pause (Space)' : 'Play (Space)'}
          title={playing ? 'Pause (Space)' : 'Play (Space)'}
          disabled={disabled}
          onClick={() => void store.togglePlay()}
        >
          {playing ? <PauseIcon /> : <PlayIcon />}
        </button>
        <button
          type="button"
          className="btn-icon"
          data-testid="transport-stop"
          aria-label="Stop (pause and rewind)"
          title="Stop (pause and rewind)"
          disabled={disabled}
          onClick={() => void store.stop()}
        >
          <StopIcon />
        </button>
      </div>
      <Scrubber />
      <div className="clock" aria-live="off">
        <span className="clock-position" data-testid="position-readout">
          <span ref={posText.ref} className="live-text">
            00:00.000
          </span>
        </span>
        <span className="clock-sep">/</span>
        <span className="clock-duration" data-testid="duration-readout">
          {formatClock(durationS)}
        </span>
      </div>
      <label className="speed" title="Speed ([ and ] step through the presets)">
        <span className="visually-hidden">Speed</span>
        <select
          data-testid="speed-select"
          value={String(speed)}
          disabled={disabled}
          onChange={(e) => {
            void store.setSpeed(Number(e.target.value));
            // Hand the keys back to the transport (a focused select would keep Space and arrows).
            e.target.blur();
          }}
        >
          {speeds.map((s) => (
            <option key={s} value={String(s)}>
              {formatSpeed(s)}
            </option>
          ))}
        </select>
      </label>
      <button
        type="button"
        className={`btn-toggle${loop ? ' on' : ''}`}
        data-testid="loop-toggle"
        aria-pressed={loop}
        disabled={disabled}
        title={loop ? 'Looping: the timeline restarts at its end' : 'Not looping: playback ends at the end'}
        onClick={() => void store.setLoop(!loop)}
      >
        <LoopIcon />
        <span>Loop</span>
      </button>
    </div>
  );
}
