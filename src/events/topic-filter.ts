/**
 * Topic filters of SSE streams and webhooks: a list of patterns, each an exact topic
 * ('alarm.received') or a prefix ending in '*' ('alarm.*', '*' for everything).
 */
export type TopicFilter = readonly string[];

const PATTERN = /^(?:\*|[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*(?:\.\*)?)$/;

/** True when `pattern` is a usable topic pattern. */
export function isTopicPattern(pattern: string): boolean {
  return pattern.length <= 100 && PATTERN.test(pattern);
}

/**
 * Splits a comma-separated list ('alarm.*,fault.*'); blanks are dropped. Returns null when a
 * pattern is not usable; an empty list means every topic.
 */
export function parseTopicFilter(text: string | undefined | null): TopicFilter | null {
  if (text === undefined || text === null) return [];
  const patterns = text
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  return patterns.every(isTopicPattern) ? patterns : null;
}

/** An empty filter matches every topic. */
export function topicMatches(filter: TopicFilter, topic: string): boolean {
  if (filter.length === 0) return true;
  for (const pattern of filter) {
    if (pattern === '*') return true;
    if (pattern.endsWith('*') ? topic.startsWith(pattern.slice(0, -1)) : topic === pattern) return true;
  }
  return false;
}
