/** The centre column: raster on top, then population rate, position and velocity on one time axis (with the decoders' traces). */
import { S_RATE, S_RATE_SMOOTH, S_VX, S_VY, S_X, S_Y } from '../data/liveBuffers.ts';
import type { StudioState } from '../state/store.ts';
import type { Axis } from '../../../shared/wire.ts';
import { LiveChart } from './LiveChart.tsx';
import { Raster } from './Raster.tsx';
import { COLORS } from './theme.ts';

/** Positions share one fixed range: the workspace's largest extent. */
const workspaceLimit = (s: StudioState): number | null => {
  const b = s.dataset?.bounds;
  return b ? Math.max(Math.abs(b.xMin), Math.abs(b.xMax), Math.abs(b.yMin), Math.abs(b.yMax)) : null;
};

// Stable arrays: the charts compare them when the decoders change.
const POSITION_AXES: readonly Axis[] = ['x', 'y'];
const VELOCITY_AXES: readonly Axis[] = ['vx', 'vy'];

export function Plots() {
  return (
    <main className="plots" data-testid="plots">
      <Raster />
      <LiveChart
        title="Population rate"
        unit="spikes/s, all channels"
        testId="chart-rate"
        range="positive"
        minLimit={100}
        decimals={0}
        xLabels={false}
        series={[
          { label: 'per bin', ring: S_RATE, color: COLORS.rateRaw, width: 1 },
          { label: '200 ms', ring: S_RATE_SMOOTH, color: COLORS.rate, width: 2, readout: true },
        ]}
      />
      <LiveChart
        title="Cursor position"
        unit="mm"
        testId="chart-position"
        range="symmetric"
        fixedLimit={workspaceLimit}
        xLabels={false}
        decodedAxes={POSITION_AXES}
        series={[
          { label: 'x', ring: S_X, color: COLORS.x, width: 2, readout: true },
          { label: 'y', ring: S_Y, color: COLORS.y, width: 2, readout: true },
        ]}
      />
      <LiveChart
        title="Velocity"
        unit="mm/s"
        testId="chart-velocity"
        range="symmetric"
        minLimit={50}
        decimals={0}
        xLabels
        decodedAxes={VELOCITY_AXES}
        series={[
          { label: 'vx', ring: S_VX, color: COLORS.x, width: 1.75, readout: true },
          { label: 'vy', ring: S_VY, color: COLORS.y, width: 1.75, readout: true },
        ]}
      />
    </main>
  );
}
