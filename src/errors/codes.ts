/**
 * The error catalog: every error the service answers with, in one `as const` table.
 * `hecCode` is the Splunk HEC reply code (see shared hec-protocol.md §4) or null where HEC has none;
 * `text` is the exact HEC text for HEC codes, or the emulator's own text otherwise; `exitStatus` is what the CLI
 * exits with when the error ends a command (2: the command line, a file or the config it names is wrong — run it
 * again differently; 1: the command was right and could not be done).
 * docs/errors.md lists every code; tests/unit/errors/catalog.test.ts keeps the two in sync.
 */

/** Splunk HEC reply codes 0–27: HTTP status and exact text. */
export const HEC_CODES = {
  0: { status: 200, text: 'Success' },
  1: { status: 403, text: 'Token disabled' },
  2: { status: 401, text: 'Token is required' },
  3: { status: 401, text: 'Invalid authorization' },
  4: { status: 403, text: 'Invalid token' },
  5: { status: 400, text: 'No data' },
  6: { status: 400, text: 'Invalid data format' },
  7: { status: 400, text: 'Incorrect index' },
  8: { status: 500, text: 'Internal server error' },
  9: { status: 503, text: 'Server is busy' },
  10: { status: 400, text: 'Data channel is missing' },
  11: { status: 400, text: 'Invalid data channel' },
  12: { status: 400, text: 'Event field is required' },
  13: { status: 400, text: 'Event field cannot be blank' },
  14: { status: 400, text: 'ACK is disabled' },
  15: { status: 400, text: 'Error in handling indexed fields' },
  16: { status: 400, text: 'Query string authorization is not enabled' },
  17: { status: 200, text: 'HEC is healthy' },
  18: { status: 503, text: 'HEC is unhealthy, queues are full' },
  19: { status: 503, text: 'HEC is unhealthy, ack service unavailable' },
  20: { status: 503, text: 'HEC is unhealthy, queues are full, ack service unavailable' },
  21: { status: 400, text: 'Invalid token' },
  22: { status: 400, text: 'Token disabled' },
  23: { status: 503, text: 'Server is shutting down' },
  24: { status: 200, text: 'HEC queue is approaching its capacity limit' },
  25: { status: 200, text: 'HEC ACK is approaching its capacity limit' },
  26: { status: 429, text: 'HEC queue is at capacity and cannot process any more requests' },
  27: { status: 429, text: 'HEC ACK channel is at capacity and cannot process any more requests' },
} as const satisfies Record<number, { status: number; text: string }>;
export type HecCode = keyof typeof HEC_CODES;

interface CodeDef {
  readonly httpStatus: number;
  readonly hecCode: HecCode | null;
  /** Reply text: the HEC text when hecCode is set, else ours. */
  readonly text: string;
  /** The process exit status when this error ends a CLI command: 2 usage or configuration, 1 a runtime failure. */
  readonly exitStatus: ExitStatus;
  /** For docs/errors.md: when it happens. */
  readonly when: string;
}

/** 1: a runtime failure (the command was right and could not be done); 2: usage or configuration is wrong. */
export type ExitStatus = 1 | 2;

const hec = (code: HecCode, when: string): CodeDef => ({ httpStatus: HEC_CODES[code].status, hecCode: code, text: HEC_CODES[code].text, exitStatus: 1, when });
const own = (httpStatus: number, text: string, when: string, exitStatus: ExitStatus = 1): CodeDef => ({ httpStatus, hecCode: null, text, exitStatus, when });

export const ERROR_CODES = {
  // ---- authentication (HEC) ----
  SIM_ERR_AUTH_TOKEN_REQUIRED: hec(2, 'No Authorization header and no ?token='),
  SIM_ERR_AUTH_MALFORMED: hec(3, "Authorization header is not 'Splunk <token>', 'Bearer <token>' or Basic with the token as password"),
  SIM_ERR_AUTH_TOKEN_INVALID: hec(4, 'The token is not configured'),
  SIM_ERR_AUTH_TOKEN_WRONG_REGION: hec(4, "The token is bound to another region than the host/port it reached (reason in the X-Sim-Refused-Reason header and the log)"),
  SIM_ERR_AUTH_TOKEN_DISABLED: hec(1, 'The token is configured with "disabled": true'),
  SIM_ERR_AUTH_QUERY_NOT_ALLOWED: hec(16, 'A valid ?token= whose token lacks "allowQueryStringAuth": true'),
  // ---- channels and acks ----
  SIM_ERR_HEC_CHANNEL_MISSING: hec(10, 'The token has "useAck": true and the request names no channel'),
  SIM_ERR_HEC_CHANNEL_INVALID: hec(11, 'The channel (X-Splunk-Request-Channel or ?channel=) is not a GUID'),
  SIM_ERR_HEC_ACK_DISABLED: hec(14, '/ack with a token that has no "useAck"'),
  SIM_ERR_HEC_ACK_CHANNELS_FULL: hec(9, 'More ack channels than limits.maxAckChannels are open'),
  SIM_ERR_HEC_ACK_TOKEN_CHANNELS_FULL: hec(9, "This token holds its limit of ack channels (limits.maxAckChannelsPerToken, at most its share of maxAckChannels); other tokens are not affected"),
  SIM_ERR_HEC_ACK_CHANNEL_PENDING_FULL: hec(27, 'The channel has limits.maxPendingAcksPerChannel acks not yet read as true'),
  // ---- body and events ----
  SIM_ERR_HEC_NO_DATA: hec(5, 'Empty body, or a body of only whitespace'),
  SIM_ERR_HEC_INVALID_JSON: hec(6, 'An event is not valid JSON or not a JSON object (invalid-event-number names it)'),
  SIM_ERR_HEC_INVALID_UTF8: hec(6, 'The (decompressed) body is not valid UTF-8'),
  SIM_ERR_HEC_TOO_DEEP: hec(6, 'An event nests objects/arrays deeper than limits.maxDepth'),
  SIM_ERR_HEC_EVENT_TOO_LARGE: hec(6, 'One event is larger than limits.maxEventBytes'),
  SIM_ERR_HEC_BAD_ENVELOPE_KEY: hec(6, 'host, source, sourcetype or index is not a string'),
  SIM_ERR_HEC_GZIP_INVALID: hec(6, 'Content-Encoding: gzip and the body is not a complete gzip stream (truncated or corrupt)'),
  SIM_ERR_HEC_INCORRECT_INDEX: hec(7, "The event's index is not in the token's indexes list, or no such index exists (config `indexes`; invalid-event-number is the event's index + 1, as Splunk does)"),
  SIM_ERR_HEC_EVENT_MISSING: hec(12, 'An envelope has no "event" key'),
  SIM_ERR_HEC_EVENT_BLANK: hec(13, '"event" is null, "" or only whitespace'),
  SIM_ERR_HEC_INDEXED_FIELDS: hec(15, '"fields" is not a flat object, or "time" is not a number'),
  SIM_ERR_HEC_BUSY: hec(9, "The region store's write queue is full (limits: store.maxQueuedEvents)"),
  SIM_ERR_HEC_BUSY_MEMORY: hec(9, 'Request bodies held across all requests would pass limits.maxInflightBytes (on the wire) or limits.maxInflightDecodedBytes (decompressed); answered before the body is read where its length is known'),
  SIM_ERR_HEC_BUSY_QUEUE: hec(9, 'limits.maxQueuedRequests requests already wait for or are in the ingest threads'),
  SIM_ERR_HEC_BUSY_CONNECTIONS: hec(9, 'A new connection past limits.maxConnectionsPerClient (its remote address) or limits.maxConnections; written on the socket, which is then closed'),
  SIM_ERR_HEC_SHUTTING_DOWN: hec(23, 'The server is closing (SIGINT/SIGTERM)'),
  SIM_ERR_HEC_INTERNAL: hec(8, 'An unexpected error (logged with the request id)'),
  SIM_ERR_HEALTH_QUEUES_FULL: hec(18, 'Health: a region store write queue is full'),
  SIM_ERR_HEALTH_ACK_UNAVAILABLE: hec(19, 'Health: no ack channel can be opened (all of limits.maxAckChannels, or with ?token= that token\'s share)'),
  SIM_ERR_HEALTH_QUEUES_FULL_ACK_UNAVAILABLE: hec(20, 'Health: a write queue is full and no ack channel can be opened'),
  SIM_ERR_STORE_DISK_FULL: hec(9, "A region store cannot write: its disk is full (or over quota); nothing of the request is stored, retry once space returns"),
  SIM_ERR_HEALTH_STORE_DEGRADED: hec(18, 'Health: a region store cannot write (disk full)'),
  SIM_ERR_HEALTH_TOKEN_INVALID: hec(21, 'Health: ?token= names an unknown token'),
  SIM_ERR_HEALTH_TOKEN_DISABLED: hec(22, 'Health: ?token= names a disabled token'),
  // ---- HTTP level ----
  SIM_ERR_HTTP_BODY_TOO_LARGE: own(413, 'Content too large', 'The body on the wire is larger than limits.maxBodyBytes'),
  SIM_ERR_HTTP_DECOMPRESSED_TOO_LARGE: own(413, 'Content too large', 'The gunzipped body would exceed limits.maxDecompressedBytes (gzip bomb guard)'),
  SIM_ERR_HTTP_TOO_MANY_EVENTS: own(413, 'Content too large', 'A request holds more events than limits.maxEventsPerRequest (/event envelopes or /raw lines); nothing of it is stored — split it (a retry of the same request cannot succeed, so not 503)'),
  SIM_ERR_HTTP_HEADERS_TOO_LARGE: own(431, 'Request header fields too large', "Node's HTTP parser refused the headers (over --max-http-header-size, 16 KB)"),
  SIM_ERR_HTTP_REQUEST_TIMEOUT: own(408, 'Request timeout', 'Headers not complete within limits.headersTimeoutMs, or the request not within limits.requestTimeoutMs'),
  SIM_ERR_HTTP_ENCODING_UNSUPPORTED: own(415, 'Unsupported content encoding', 'Content-Encoding other than gzip or identity'),
  SIM_ERR_HTTP_MEDIA_TYPE_INVALID: own(415, 'Unsupported media type', 'A Content-Type header that cannot be parsed'),
  SIM_ERR_HTTP_BAD_REQUEST: own(400, 'Bad request', 'A request the HTTP layer refused (e.g. Content-Length mismatch)'),
  SIM_ERR_HTTP_NOT_FOUND: own(404, 'The requested URL was not found on this server.', 'Unknown path (HEC style body, code 404)'),
  SIM_ERR_HTTP_METHOD_NOT_ALLOWED: own(405, 'Method Not Allowed', 'GET /services/collector/ack (Splunk 10.6 answers 405)'),
  // ---- region routing ----
  SIM_ERR_ROUTE_UNKNOWN_HOST: own(421, 'Unknown ingestor host', 'The Host header (or TLS SNI) is an ingestor-<r> name of a region this server does not serve (any other host is routed by the token\'s region)'),
  SIM_ERR_ROUTE_HOST_MISMATCH: own(421, 'Host does not match the connection', 'The Host header names another region than the TLS SNI name or the region port'),
  // ---- admin API ----
  SIM_ERR_ADMIN_UNAUTHORIZED: own(401, 'Admin token required', 'No or wrong "Authorization: Bearer <adminToken>" on /admin/v1'),
  SIM_ERR_ADMIN_BAD_REQUEST: own(400, 'Bad admin request', 'A bad path parameter, query parameter or JSON body on /admin/v1 (checked by the route\'s schema; the detail names the field)'),
  SIM_ERR_ADMIN_UNKNOWN_REGION: own(404, 'Unknown region', '?region= or :region names no served region (events, faults)'),
  SIM_ERR_ADMIN_UNKNOWN_TENANT: own(404, 'Unknown tenant', ':tenant is not in the config'),
  SIM_ERR_POLICY_UNKNOWN_MODULE: own(404, 'Unknown module', 'The module id / notice name is not in the catalog'),
  SIM_ERR_POLICY_MODULE_LOCKED: own(409, 'Module cannot be turned off', 'PUT uploadPermission=false for a module the notice says cannot be turned off'),
  SIM_ERR_POLICY_AMBIGUOUS_MODULE: own(409, 'Module name is ambiguous', 'A module name several modules share (e.g. Service Gateway Management); the detail lists the candidates by id and section'),
  // ---- startup ----
  SIM_ERR_CONFIG_INVALID: own(500, 'Invalid configuration', 'serve: the config file, a flag or a cross-reference (tenant, region, module) is wrong; the message names the path', 2),
  SIM_ERR_TLS_FILES: own(500, 'TLS files missing', 'serve --tls DIR: a certificate or key file of DIR is missing or unreadable'),
  SIM_ERR_STORE_OPEN: own(500, 'Store cannot be opened', 'The store of a region (event log and SQLite index) cannot be opened or created under --data-dir, or another live process has it open'),
  // ---- command line ----
  SIM_ERR_USAGE: own(400, 'Usage error', 'A command\'s flag, argument or input file is wrong (bad port, unknown region or module, a line that is not JSON); the message names it', 2),
  SIM_ERR_CLI_FAILED: own(500, 'Command failed', 'A command could not do its work: a file cannot be written, the server cannot listen, a CA cannot be made'),
} as const satisfies Record<string, CodeDef>;

export type ErrorCode = keyof typeof ERROR_CODES;
