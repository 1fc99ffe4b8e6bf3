/**
 * The SIP message model shared by every layer of src/sip.
 *
 * Messages are kept close to the wire: header values stay strings (parsed on demand by the
 * helpers in this folder) and the body stays a Buffer, because GB/T 28181 bodies are often
 * GB2312/GBK and Content-Length counts bytes, not characters.
 */

/** A header list that keeps wire order. Names are stored in lower-case long form (compact forms expanded). */
export interface SipHeaderEntry {
  readonly name: string;
  value: string;
}

export interface SipRequest {
  readonly type: 'request';
  method: string;
  /** Request-URI exactly as on the wire (parse with parseUri when needed). */
  uri: string;
  headers: SipHeaders;
  body: Buffer;
}

export interface SipResponse {
  readonly type: 'response';
  status: number;
  reason: string;
  headers: SipHeaders;
  body: Buffer;
}

export type SipMessage = SipRequest | SipResponse;

export type SipParseErrorCode =
  | 'empty'
  | 'bad-start-line'
  | 'bad-header'
  | 'missing-header'
  | 'bad-content-length'
  | 'truncated'
  | 'too-large';

export interface SipParseError {
  code: SipParseErrorCode;
  message: string;
  /**
   * Set when enough of a request was read to answer it with a 4xx (e.g. 400 Bad Request):
   * the headers needed to build a response (Via, From, To, Call-ID, CSeq) as far as they parsed.
   */
  partial?: { method?: string; headers: SipHeaders };
}

export type SipParseResult = { ok: true; message: SipMessage } | { ok: false; error: SipParseError };

/** Ordered, case-insensitive header collection. */
export interface SipHeaders {
  /** First value of a header (for comma-joinable headers, the first element). */
  get(name: string): string | undefined;
  /**
   * Every value of a header across repeated lines, with comma-joined values split for the
   * headers RFC 3261 allows to join (Via, Contact, Route, Record-Route, Allow, Supported, ...).
   * Commas inside quotes and <...> are respected.
   */
  getAll(name: string): string[];
  has(name: string): boolean;
  /** Replace all lines of this header with one. */
  set(name: string, value: string): void;
  append(name: string, value: string): void;
  /** Insert as the first line of this header (used for Via on outgoing requests). */
  prepend(name: string, value: string): void;
  delete(name: string): void;
  entries(): readonly SipHeaderEntry[];
  clone(): SipHeaders;
}

/** Where a message came from or goes to. */
export interface SipPeer {
  transport: 'udp' | 'tcp';
  address: string;
  port: number;
}

export interface SipUri {
  scheme: 'sip' | 'sips';
  user?: string;
  password?: string;
  /** Domain, IPv4, or IPv6 without brackets (formatUri adds them). */
  host: string;
  port?: number;
  /** URI parameters (;lr, ;transport=tcp); a flag parameter has value null. */
  params: Map<string, string | null>;
  /** The `?h=v&...` header part as written (without the `?`), when present. */
  headers?: string;
}

/** A From/To/Contact/Route value: optional display name, URI, header parameters (tag, expires, ...). */
export interface NameAddr {
  displayName?: string;
  uri: SipUri;
  /** The URI text as written, for echoing back unchanged. */
  uriText: string;
  params: Map<string, string | null>;
}

export interface Via {
  protocol: string; // "SIP/2.0"
  transport: string; // "UDP" | "TCP" | ...
  host: string;
  port?: number;
  params: Map<string, string | null>; // branch, received, rport (null when flag form), ...
}

export interface CSeq {
  seq: number;
  method: string;
}

/** Parsed Digest challenge or credentials: scheme plus auth-params (quotes removed). */
export interface AuthHeader {
  scheme: string;
  params: Map<string, string>;
}
