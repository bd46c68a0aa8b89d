/**
 * Moving jobs within a list, as the queue's move up / move down / drag-and-drop do. Pure: the engine
 * applies the new order to the waiting jobs' priorities. Moved jobs keep their order among themselves;
 * ids not in the list are ignored.
 */
export type MoveTo = 'up' | 'down' | Readonly<{ before: string }>;

export function moveWithin(order: readonly string[], ids: readonly string[], to: MoveTo): string[] {
  const moving = new Set(ids.filter((id) => order.includes(id)));
  if (!moving.size) return [...order];
  if (typeof to === 'object') {
    if (moving.has(to.before)) return [...order];
    const rest = order.filter((id) => !moving.has(id));
    const at = rest.indexOf(to.before);
    const block = order.filter((id) => moving.has(id));
    if (at < 0) return [...order];
    return [...rest.slice(0, at), ...block, ...rest.slice(at)];
  }
  const out = [...order];
  // Each moved job swaps with the unmoved neighbour in the direction of travel; a block at the edge stays.
  if (to === 'up') {
    for (let i = 1; i < out.length; i++) if (moving.has(out[i]!) && !moving.has(out[i - 1]!)) [out[i - 1], out[i]] = [out[i]!, out[i - 1]!];
  } else {
    for (let i = out.length - 2; i >= 0; i--) if (moving.has(out[i]!) && !moving.has(out[i + 1]!)) [out[i + 1], out[i]] = [out[i]!, out[i + 1]!];
  }
  return out;
}
