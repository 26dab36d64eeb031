/** What travels on a thread's bus channels; plain JSON values, like the other payloads. */

/** Someone is typing in a thread. */
export interface TypingEvent {
  readonly threadId: string;
  readonly userId: string;
  /** When the server accepted it, ISO-8601. */
  readonly at: string;
}

/** Someone entered or left a thread: subscribers read the thread's presence again. */
export interface PresenceChangedEvent {
  readonly threadId: string;
}
