/**
 * Which of the MAX_DECODERS overlay slots each decoder has. A slot is a decoder's colour
 * (DECODER_COLORS[slot]) and its buffers (data/decodedTracks.ts), so it must not change while
 * the decoder is on the scoreboard, whatever the table's sort order or whoever comes and goes.
 *
 * A decoder's preferred slot is a hash of its id: the same decoder gets the same colour in
 * every window and after a reload, unless another one already holds it (then the next free
 * slot). Slots are given back lazily: a decoder that left the scoreboard keeps its slot until
 * a new one needs it, so a decoder that reconnects usually finds its colour again.
 */
export const MAX_DECODERS = 8;

/** FNV-1a over the id's UTF-16 code units: a stable, well-spread small hash. */
export function hashId(id: string): number {
  let h = 2166136261;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 16777619);
  return h >>> 0;
}

export function preferredSlot(id: string, slots = MAX_DECODERS): number {
  return hashId(id) % slots;
}

export class DecoderSlots {
  /** The id holding each slot, or null. */
  private readonly holders: Array<string | null>;
  private readonly byId = new Map<string, number>();
  /** Ids on the latest scoreboard: their slots are never taken from them. */
  private listed = new Set<string>();

  /** `onRelease(slot)` runs when a slot is taken from a decoder that left, before it is reused. */
  constructor(
    readonly size = MAX_DECODERS,
    private readonly onRelease: (slot: number) => void = () => {},
  ) {
    this.holders = new Array<string | null>(size).fill(null);
  }

  /** The decoder's slot without assigning one: -1 if it has none. */
  peek(id: string): number {
    return this.byId.get(id) ?? -1;
  }

  /** The decoder holding `slot`, or null. */
  holder(slot: number): string | null {
    return this.holders[slot] ?? null;
  }

  /**
   * The decoder's slot, assigned on first sight: its preferred slot if free, else the next free
   * one, else one held by a decoder no longer listed. -1 when all are held by listed decoders.
   */
  slotOf(id: string): number {
    const known = this.byId.get(id);
    if (known !== undefined) return known;
    const start = preferredSlot(id, this.size);
    let slot = -1;
    for (let k = 0; k < this.size && slot < 0; k++) if (this.holders[(start + k) % this.size] === null) slot = (start + k) % this.size;
    for (let k = 0; k < this.size && slot < 0; k++) {
      const s = (start + k) % this.size;
      const held = this.holders[s];
      if (held !== null && !this.listed.has(held)) {
        this.byId.delete(held);
        this.holders[s] = null;
        this.onRelease(s);
        slot = s;
      }
    }
    if (slot < 0) return -1;
    this.holders[slot] = id;
    this.byId.set(id, slot);
    return slot;
  }

  /**
   * The scoreboard's decoders, in the engine's order (their arrival): each gets a slot if it has
   * none, and theirs are kept from now on. Returns the slots in the same order (-1: none free).
   */
  sync(ids: readonly string[]): number[] {
    this.listed = new Set(ids);
    return ids.map((id) => this.slotOf(id));
  }

  /** Forgets every decoder (another session: its decoders are other ones). */
  clear(): void {
    for (let s = 0; s < this.size; s++) if (this.holders[s] !== null) this.onRelease(s);
    this.holders.fill(null);
    this.byId.clear();
    this.listed = new Set();
  }
}
