// The contracts' types for the web client's JSDoc (`import('@contracts').Frame<'snapshot'>`),
// from the TypeScript generated from contracts/schemas and contracts/openapi.json
// (contracts/ts/). Type-checked by `tsc -p apps/server/web` in `cargo xtask test`; not served.

import type { ServerMessage } from '../../../contracts/ts/ws-server-message';
import type { components } from '../../../contracts/ts/openapi';

export type * from '../../../contracts/ts/ws-server-message';
export type { ClientMessage } from '../../../contracts/ts/ws-client-message';

/** The server frame whose `type` is `T` (`Frame<'phase'>`). */
export type Frame<T extends ServerMessage['type']> = Extract<ServerMessage, { type: T }>;

/** A body of the HTTP API, by its OpenAPI schema name (`Api<'JoinOut'>`). */
export type Api<N extends keyof components['schemas']> = components['schemas'][N];
