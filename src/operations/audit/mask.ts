/**
 * Masking of personal identifiers in lists for callers without the investigator role: card and
 * person IDs keep their last 4 characters (enough to tell records apart at a glance), names
 * keep their first character.
 */
export function maskIdentifier(value: string | null): string | null {
  if (value === null) return null;
  const chars = [...value];
  const keep = chars.length > 6 ? 4 : chars.length > 2 ? 1 : 0;
  return '*'.repeat(chars.length - keep) + chars.slice(chars.length - keep).join('');
}

export function maskName(value: string | null): string | null {
  if (value === null) return null;
  const chars = [...value];
  if (chars.length <= 1) return '*';
  return (chars[0] ?? '') + '*'.repeat(chars.length - 1);
}
