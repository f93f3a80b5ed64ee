/**
 * The event in a feedback queue message: the JSON itself (SNS's raw delivery), or the Message of an SNS envelope (a
 * subscription without it). Pure; undefined when there is no JSON to read.
 */
export function eventJson(body: string): unknown {
  const json = parseJson(body);
  const envelope = json as { Type?: unknown; Message?: unknown } | null;
  return typeof envelope === 'object' && envelope?.Type === 'Notification' && typeof envelope.Message === 'string'
    ? parseJson(envelope.Message)
    : json;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
