/**
 * The stream of session transitions the engines publish for operators, the status
 * command and the auditors' visualizer. It is fed by XState's inspection API, so every
 * state a session passes through appears — also transient ones such as `rekeying` — with
 * the event that caused it. It carries states, event types and public context only —
 * never key material.
 */
import { Subject } from 'rxjs';
import type { InspectionEvent } from 'xstate';
import type { EngineClock } from '../shared/clock.ts';

export interface SessionTransition {
  sessionId: string;
  machine: string;
  /** The state value as XState reports it (a string, or an object for nested states). */
  state: unknown;
  /** The type of the event that caused the transition. */
  event: string;
  /** Public context facts (addresses, epochs, attempts); never secrets. */
  context: Record<string, unknown>;
  at: number;
}

export class SessionEventBus {
  readonly transitions = new Subject<SessionTransition>();

  constructor(private readonly clock: EngineClock) {}

  /** An `inspect` option for createActor that publishes the root actor's transitions;
   * `resumedIn` is the state a restored actor starts in (not published again). */
  inspector(
    sessionId: string,
    machine: string,
    resumedIn?: unknown,
  ): (event: InspectionEvent) => void {
    let last = resumedIn === undefined ? '' : JSON.stringify(resumedIn);
    return (inspection) => {
      if (inspection.type !== '@xstate.microstep' && inspection.type !== '@xstate.snapshot') return;
      if (inspection.rootId !== inspection.actorRef.sessionId) return;
      const snapshot = inspection.snapshot as {
        value?: unknown;
        context?: Record<string, unknown>;
      };
      if (snapshot.value === undefined) return;
      const key = JSON.stringify(snapshot.value);
      if (key === last) return;
      last = key;
      this.publish(
        sessionId,
        machine,
        snapshot.value,
        inspection.event.type,
        snapshot.context ?? {},
      );
    };
  }

  /** Publishes one transition (an actor's, or a resting chart's initial state). */
  publish(
    sessionId: string,
    machine: string,
    state: unknown,
    event: string,
    context: object,
  ): void {
    this.transitions.next({
      sessionId,
      machine,
      state,
      event,
      context: { ...context },
      at: this.clock.now(),
    });
  }

  close(): void {
    this.transitions.complete();
  }
}
