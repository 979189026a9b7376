'use strict';
/**
 * What the receiver got: every request to POST /webhook in arrival order (newest last), and the
 * event ids already processed, for de-duplication.
 *
 * Both are bounded so a long-running demo cannot grow without limit; the oldest go first.
 */

const MAX_EVENTS = 1000;
const MAX_SEEN_IDS = 10000;

class EventStore {
  constructor({ maxEvents = MAX_EVENTS, maxSeenIds = MAX_SEEN_IDS } = {}) {
    this.maxEvents = maxEvents;
    this.maxSeenIds = maxSeenIds;
    this.events = [];
    this.seen = new Set(); // insertion-ordered, so the first entry is the oldest
  }

  /** Whether `eventId` was already processed. Ids that are null or empty are never duplicates. */
  isDuplicate(eventId) {
    return Boolean(eventId) && this.seen.has(eventId);
  }

  /** Remember `eventId` as processed, so a redelivery of it is answered as a duplicate. */
  markProcessed(eventId) {
    if (!eventId) return;
    this.seen.add(eventId);
    if (this.seen.size > this.maxSeenIds) this.seen.delete(this.seen.values().next().value);
  }

  /** Append one received request and return the stored entry. */
  add({ id = null, event = null, verified, duplicate = false, status, error = null, data = null, receivedAt }) {
    const entry = {
      id,
      event,
      received_at: (receivedAt ?? new Date()).toISOString(),
      verified,
      duplicate,
      status,
      error,
      data,
    };
    this.events.push(entry);
    if (this.events.length > this.maxEvents) this.events.shift();
    return entry;
  }

  /** Every stored entry, oldest first. */
  list() {
    return [...this.events];
  }

  /** Forget everything, de-duplication included. */
  clear() {
    this.events = [];
    this.seen.clear();
  }
}

module.exports = { EventStore, MAX_EVENTS, MAX_SEEN_IDS };
