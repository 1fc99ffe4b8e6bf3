/** Reason phrases for the statuses this server sends (RFC 2326 7.1.1). */
const REASONS: Record<number, string> = {
  200: 'OK',
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
  405: 'Method Not Allowed',
  454: 'Session Not Found',
  455: 'Method Not Valid in This State',
  459: 'Aggregate Operation Not Allowed',
  461: 'Unsupported Transport',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
  505: 'RTSP Version Not Supported',
};

export interface RtspResponse {
  status: number;
  /** Header name and value pairs, in order; CSeq, Server and Content-Length are added when formatted. */
  headers: [string, string][];
  body?: string;
  /** Close the connection once this response is written (framing lost, or a refusal worth ending on). */
  close?: boolean;
}

export function rtspResponse(status: number, headers: [string, string][] = [], body?: string): RtspResponse {
  return body === undefined ? { status, headers } : { status, headers, body };
}

/** The response's bytes; `cseq` is echoed when the request had one (it is -1 otherwise). */
export function formatRtspResponse(response: RtspResponse, cseq: number, serverName: string): Buffer {
  const lines = [`RTSP/1.0 ${response.status} ${REASONS[response.status] ?? 'Unknown'}`];
  if (cseq >= 0) lines.push(`CSeq: ${cseq}`);
  lines.push(`Server: ${serverName}`);
  for (const [name, value] of response.headers) lines.push(`${name}: ${value}`);
  const body = response.body === undefined ? null : Buffer.from(response.body, 'utf8');
  if (body !== null) lines.push(`Content-Length: ${body.length}`);
  const head = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'utf8');
  return body === null ? head : Buffer.concat([head, body]);
}
