/**
 * The broken variants of Gazette's client package, and the broken parts that
 * carry them: subclasses of the real Reader, RetryReader, Appender,
 * AppendService (and AsyncAppend) and PolledList, each overriding one decision
 * through a seam its class documents. A scenario that offers a client variant
 * builds its parts with `clientPartsOf`; the client properties import the same
 * parts (one copy). The RouteCache's and FragmentReader's variants, which no
 * scenario offers, are in properties/gazette/_fixtures/broken-client.ts. Only a
 * run or a test that names a variant uses these; src/impl never does.
 */
import {
  AppendService,
  AsyncAppend,
  type AppendServiceOptions,
} from "../../../src/impl/gazette/client/append-service.ts";
import { Appender, DEFAULT_APPENDER_FACTORY, type AppenderFactory } from "../../../src/impl/gazette/client/appender.ts";
import type { OpFutures } from "../../../src/impl/gazette/client/op-future.ts";
import { PolledList } from "../../../src/impl/gazette/client/polled-list.ts";
import { Reader } from "../../../src/impl/gazette/client/reader.ts";
import {
  DEFAULT_READER_FACTORY,
  RetryReader,
  type ReaderFactory,
  type RetryReaderOptions,
} from "../../../src/impl/gazette/client/retry-reader.ts";
import type { RoutedJournalClient } from "../../../src/impl/gazette/protocol/journal-client.ts";
import type { AppendRequest, ReadRequest } from "../../../src/impl/gazette/protocol/messages.ts";
import type { Clock, Env } from "../../../src/sim/env.ts";

export type AppendServiceBrokenVariant =
  | "ignore-dependencies"
  | "batch-across-dependencies"
  | "retry-everything"
  | "constant-backoff"
  | "forget-failures"
  | "dispatch-concurrently"
  | "no-rollback";
export type AppenderBrokenVariant = "ignore-response-route";
export type PolledListBrokenVariant = "no-update-signal" | "keep-first-listing";
export type ReaderBrokenVariant = "silent-offset-jump" | "accept-offset-below-request";
export type RetryReaderBrokenVariant = "restart-at-original-offset";

/** Builds an AppendService (the real one or a broken one). */
export type AppendServiceFactory = (
  env: Env,
  client: RoutedJournalClient,
  options: AppendServiceOptions,
) => AppendService;
/** Builds a RetryReader (the real one or a broken one). */
export type RetryReaderFactory = (
  clock: Clock,
  client: RoutedJournalClient,
  request: ReadRequest,
  options: RetryReaderOptions,
) => RetryReader;

// --- Appender and AppendService --------------------------------------------

/** ignore-response-route: the Appender does not feed the response header's route to the router. */
class IgnoreResponseRouteAppender extends Appender {
  protected override observeRoute(): void {}
}

/** The Appenders of a variant (the real one for none). */
export function appenderOf(variant: AppenderBrokenVariant | undefined): AppenderFactory {
  return variant === undefined
    ? DEFAULT_APPENDER_FACTORY
    : (client, request, options) => new IgnoreResponseRouteAppender(client, request, options);
}

/** no-rollback: Release commits what was written under a failed require or write. */
class NoRollbackAsyncAppend extends AsyncAppend {
  protected override releaseError(): unknown {
    return undefined;
  }
}

/** The AppendService subclass of each variant: one overridden decision each. */
const BROKEN_SERVICES: Record<AppendServiceBrokenVariant, typeof AppendService> = {
  "ignore-dependencies": class extends AppendService {
    protected override awaitDependencies(_aa: AsyncAppend, error: unknown): Promise<unknown> {
      return Promise.resolve(error);
    }
  },
  "batch-across-dependencies": class extends AppendService {
    protected override compatible(aa: AsyncAppend, request: AppendRequest): boolean {
      return super.compatible(aa, request, aa.dependencies);
    }
  },
  "retry-everything": class extends AppendService {
    protected override retriable(): boolean {
      return true;
    }
  },
  "constant-backoff": class extends AppendService {
    protected override retryDelayMs(): number {
      return 10;
    }
  },
  "forget-failures": class extends AppendService {
    protected override carriedError(): unknown {
      return undefined;
    }
  },
  "dispatch-concurrently": class extends AppendService {
    /** The real loop, but a batch with content is dispatched without waiting for it: the next one goes at once. */
    protected override async serve(first: AsyncAppend, initialError: unknown): Promise<void> {
      let aa = first;
      let error = initialError;
      let unlock = await aa.lock.acquire();
      for (;;) {
        if (this.chainEnded(aa, error, unlock)) return;
        unlock();
        error = await this.awaitDependencies(aa, error);
        if (error === undefined && aa.buffer !== undefined) {
          const current = aa;
          void this.appendBatch(current).then((outcome) => {
            this.finish(current, outcome);
            void current.buffer?.release();
          });
          unlock = await aa.lock.acquire();
          aa = this.step(aa);
          continue;
        }
        await aa.buffer?.release();
        unlock = await aa.lock.acquire();
        this.finish(aa, error);
        error = this.carriedError(error);
        aa = this.step(aa);
      }
    }
  },
  "no-rollback": class extends AppendService {
    protected override createAsyncAppend(
      request: AppendRequest,
      dependencies: OpFutures,
      lock: AsyncAppend["lock"],
    ): AsyncAppend {
      return new NoRollbackAsyncAppend(request, dependencies, lock);
    }
  },
};

/** The AppendService of a variant (the real one for none). */
export function appendServiceOf(variant: AppendServiceBrokenVariant | undefined): AppendServiceFactory {
  const Service = variant === undefined ? AppendService : BROKEN_SERVICES[variant];
  return (env, client, options) => new Service(env, client, options);
}

// --- Reader and RetryReader ------------------------------------------------

/** The Reader subclass of each variant. */
const BROKEN_READERS: Record<ReaderBrokenVariant, typeof Reader> = {
  /** The Reader moves to the offset a broker jumped to without raising ErrOffsetJump. */
  "silent-offset-jump": class extends Reader {
    protected override offsetJumped(): void {}
  },
  /** The Reader accepts a response below its requested offset. */
  "accept-offset-below-request": class extends Reader {
    protected override validateOffset(): void {}
  },
};

/** The Readers of a variant (the real one for none). */
export function readerOf(variant: ReaderBrokenVariant | undefined): ReaderFactory {
  if (variant === undefined) return DEFAULT_READER_FACTORY;
  const BrokenReader = BROKEN_READERS[variant];
  return (client, request, options) => new BrokenReader(client, request, options);
}

/** restart-at-original-offset: a restarted Reader starts over at the offset the RetryReader was (re)started at. */
class RestartAtOriginalOffsetRetryReader extends RetryReader {
  private original: ReadRequest;

  constructor(clock: Clock, client: RoutedJournalClient, request: ReadRequest, options: RetryReaderOptions) {
    super(clock, client, request, options);
    this.original = { ...request };
  }

  override restart(request: ReadRequest): void {
    super.restart(request);
    this.original = { ...request };
  }

  protected override restartRequest(): ReadRequest {
    return this.original;
  }
}

/** A RetryReader with a variant of its own or of its Readers (the real ones for none). */
export function retryReaderOf(variants: {
  readonly reader?: ReaderBrokenVariant;
  readonly retryReader?: RetryReaderBrokenVariant;
}): RetryReaderFactory {
  const createReader = readerOf(variants.reader);
  const Retry = variants.retryReader === undefined ? RetryReader : RestartAtOriginalOffsetRetryReader;
  return (clock, client, request, options) =>
    new Retry(clock, client, request, variants.reader === undefined ? options : { ...options, createReader });
}

// --- PolledList -----------------------------------------------------------

/** The PolledList subclass of each variant. */
const BROKEN_POLLED_LISTS: Record<PolledListBrokenVariant, typeof PolledList> = {
  /** PolledList never signals an update. */
  "no-update-signal": class extends PolledList {
    protected override signalUpdate(): void {}
  },
  /** PolledList keeps its first listing for ever. */
  "keep-first-listing": class extends PolledList {
    protected override takeListing(): void {}
  },
};

/** The PolledList class of a variant (the real one for none): call its `create`. */
export function polledListOf(variant: PolledListBrokenVariant | undefined): typeof PolledList {
  return variant === undefined ? PolledList : BROKEN_POLLED_LISTS[variant];
}

// --- A run's client parts -------------------------------------------------

/** The client parts a scenario builds, broken by the run's variant or real. */
export interface ClientParts {
  readonly appendService: AppendServiceFactory;
  readonly retryReader: RetryReaderFactory;
  readonly polledList: typeof PolledList;
}

const APPEND_SERVICE_NAMES: readonly string[] = [
  "ignore-dependencies",
  "batch-across-dependencies",
  "retry-everything",
  "constant-backoff",
  "forget-failures",
  "dispatch-concurrently",
  "no-rollback",
] satisfies AppendServiceBrokenVariant[];
const READER_NAMES: readonly string[] = [
  "silent-offset-jump",
  "accept-offset-below-request",
] satisfies ReaderBrokenVariant[];
const POLLED_LIST_NAMES: readonly string[] = [
  "no-update-signal",
  "keep-first-listing",
] satisfies PolledListBrokenVariant[];

/** The client parts of a run's variant: the part it names is broken, the others are real. */
export function clientPartsOf(variant: string | undefined): ClientParts {
  const service = APPEND_SERVICE_NAMES.includes(variant ?? "")
    ? appendServiceOf(variant as AppendServiceBrokenVariant)
    : appendServiceOf(undefined);
  const createAppender = variant === "ignore-response-route" ? appenderOf(variant) : undefined;
  return {
    appendService:
      createAppender === undefined
        ? service
        : (env, client, options) => service(env, client, { ...options, createAppender }),
    retryReader: retryReaderOf({
      ...(READER_NAMES.includes(variant ?? "") ? { reader: variant as ReaderBrokenVariant } : {}),
      ...(variant === "restart-at-original-offset" ? { retryReader: variant } : {}),
    }),
    polledList: polledListOf(
      POLLED_LIST_NAMES.includes(variant ?? "") ? (variant as PolledListBrokenVariant) : undefined,
    ),
  };
}
