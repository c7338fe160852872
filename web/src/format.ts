// Small text formats shared by the call panel and the recent-calls list.

/** Whole seconds as m:ss (minutes keep counting past 59: 75:03). */
export function formatDuration(totalSeconds: number): string {
  const s = Math.max(0, Math.floor(totalSeconds));
  const minutes = Math.floor(s / 60);
  const seconds = s % 60;
  return `${minutes}:${seconds.toString().padStart(2, '0')}`;
}

/** What to dial: the separators people type in phone numbers removed; names and URIs as typed. */
export function cleanNumber(input: string): string {
  const raw = input.trim();
  return /^[\d\s()+*#.-]+$/.test(raw) ? raw.replace(/[\s().-]/g, '') : raw;
}

/** "Bob (1002)" when a name is known and differs from the number, else the number. */
export function peerLabel(name: string, number: string): string {
  const n = name.trim();
  if (!n || n === number) return number || 'Unknown';
  return number ? `${n} (${number})` : n;
}
