/**
 * `runTracked`: one `runSessions` run that can be ended from outside — by the caller's `signal`, by
 * its transport (`abandonRuns(running, reason)`), or through a link it talks over
 * (`abandonRunsOver(link, reason)`: the node behind that link is gone, e.g. `connectService`'s
 * "node changed" notice). Both bus party transports (`src/client/bus-transport.ts`, in-thread, and
 * `workers/bus-transport.ts`, rounds in a worker) run their sessions through it, so whatever ends
 * the runs of one ends the runs of the other the same way.
 * @module
 */
import { fail, TkeyTssError } from '../errors.js';
import { Link, runSessions, type RunSessionsOptions } from './session-link.js';

/** The options of a transport that reach its runs (`BusPartyTransportOptions` has these). */
export interface TrackedRunOptions {
  stallMs?: number;
  resendMs?: number;
  signal?: AbortSignal;
  onDrop?: (detail: string, link: Link) => void;
}

/** One run: the sessions and the parties (`runSessions` without what `TrackedRunOptions` brings). */
export type TrackedRun = Omit<RunSessionsOptions, keyof TrackedRunOptions> & {
  /** Awaited when the run fails, before it rejects (e.g. the owner's record of its own abort is in). */
  onFailure?: () => Promise<unknown>;
};

/** The runs under way per link (a run with parties behind several links is under each). */
const byLink = new WeakMap<Link, Set<AbortController>>();

/**
 * Run `run` with `opts` until it ends; while under way it is in `running` and under each link of
 * its remote parties. It rejects with the reason of `abandonRuns` / `abandonRunsOver`, with the
 * outer signal's reason, or as `runSessions` does.
 */
export async function runTracked(running: Set<AbortController>, run: TrackedRun, opts: TrackedRunOptions): Promise<void> {
  const { onFailure, ...sessions } = run;
  const ctl = new AbortController();
  const outer = opts.signal;
  const onOuter = (): void => ctl.abort(outer!.reason);
  if (outer?.aborted) onOuter();
  else outer?.addEventListener('abort', onOuter, { once: true });
  const links = [...new Set(sessions.remote.map((r) => r.link))];
  running.add(ctl);
  for (const l of links) {
    let set = byLink.get(l);
    if (!set) byLink.set(l, (set = new Set()));
    set.add(ctl);
  }
  try {
    await runSessions({
      ...sessions,
      ...(opts.stallMs !== undefined ? { stallMs: opts.stallMs } : {}),
      ...(opts.resendMs !== undefined ? { resendMs: opts.resendMs } : {}),
      signal: ctl.signal,
      ...(opts.onDrop ? { onDrop: opts.onDrop } : {}),
    });
  } catch (e) {
    await onFailure?.();
    throw e;
  } finally {
    running.delete(ctl);
    for (const l of links) byLink.get(l)?.delete(ctl);
    outer?.removeEventListener('abort', onOuter);
  }
}

/** End every run in `running` with `reason` (a typed error) and forget them; how many there were. */
export function abandonRuns(running: Set<AbortController>, reason: TkeyTssError): number {
  if (!(reason instanceof TkeyTssError)) fail('INVALID_ARGUMENT', 'reason: expected a typed error');
  const n = running.size;
  for (const c of [...running]) c.abort(reason);
  running.clear();
  return n;
}

/**
 * End every run under way (on any transport) with a remote party behind `link`, with `reason` (a
 * typed error); how many there were. For when the node behind the link is known to be gone while
 * the link itself goes on (it failed over to another node): those runs can never finish.
 */
export function abandonRunsOver(link: Link, reason: TkeyTssError): number {
  if (!(link instanceof Link)) fail('INVALID_ARGUMENT', 'link: expected a bus Link');
  if (!(reason instanceof TkeyTssError)) fail('INVALID_ARGUMENT', 'reason: expected a typed error');
  return abandonRuns(byLink.get(link) ?? new Set(), reason);
}
