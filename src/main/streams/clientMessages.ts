import { performance } from 'node:perf_hooks';
import type { RawData } from 'ws';
import type { Scoring } from '../evaluation/scoring.ts';
import { decodeMsgpack } from '../../shared/codecs.ts';
import type { ErrorMessage, StatusMessage } from '../../shared/wire.ts';
import type { Session } from '../playback/session.ts';
import type { StreamClient } from './streamClient.ts';

const utf8 = new TextDecoder('utf-8');

/** The answer to a control message: the session's playback state, as the wire shows it. */
export function statusMessage(s: Session): StatusMessage {
  const st = s.state();
  return { type: 'status', state: st.status, position_s: st.position_s, speed: st.speed, loop: st.loop };
}

/**
 * A client's frame on a stream socket, JSON text or MessagePack: a decoder's prediction (scored,
 * not answered), or a control message (hello, ping, pause, resume, seek, speed, loop,
 * reset_scores), answered with a status message. A malformed one gets an error message and the
 * stream goes on.
 */
export function handleClientMessage(client: StreamClient, data: RawData, isBinary: boolean, scoring: Scoring): void {
  const arrivalMs = performance.now();
  if (!client.link.admit(arrivalMs)) return;
  const reply = (code: string, message: string) => client.send({ type: 'error', code, message } satisfies ErrorMessage);
  let msg: unknown;
  try {
    const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
    // Text frames are valid UTF-8 here (ws fails the connection with 1007 otherwise, RFC 6455
    // §8.1); TextDecoder also drops a leading byte-order mark, which some clients send.
    msg = isBinary ? decodeMsgpack(buf) : JSON.parse(utf8.decode(buf));
  } catch {
    return reply('bad_message', isBinary ? 'message is not valid MessagePack' : 'message is not valid JSON');
  }
  if (msg === null || typeof msg !== 'object' || typeof (msg as { type?: unknown }).type !== 'string') {
    return reply('bad_message', 'a client message is an object with a string "type" (prediction, hello, ping, pause, resume, seek, speed, loop, reset_scores)');
  }
  const m = msg as Record<string, unknown>;
  const s = client.session;
  try {
    switch (m.type) {
      case 'prediction':
        // Not answered: at the packet rate, replies would double the traffic (refusals are reported once a second).
        return client.link.prediction(m, arrivalMs);
      case 'hello': {
        const problem = client.link.hello(m);
        if (problem) return reply('bad_message', problem);
        break;
      }
      case 'reset_scores':
        scoring.reset(s);
        break;
      case 'ping':
        break;
      case 'pause':
        s.pause();
        break;
      case 'resume':
      case 'play':
        s.play();
        break;
      case 'seek':
        s.seek(Number(m.position_s ?? m.position_seconds));
        break;
      case 'speed':
        s.setSpeed(Number(m.speed));
        break;
      case 'loop':
        if (typeof m.loop !== 'boolean') return reply('bad_message', 'loop needs "loop": true or false');
        s.setLoop(m.loop);
        break;
      default:
        return reply('unknown_message', `unknown message type ${JSON.stringify(String(m.type).slice(0, 40))}`);
    }
  } catch (err) {
    return reply('bad_message', err instanceof Error ? err.message : String(err));
  }
  client.send(statusMessage(s));
}
