/// Where events are recorded: the store's event log, or (for a `slipway serve` replica) the registry
/// it follows.
public protocol EventSink: Sendable {
    func record(_ event: Event) async throws
}

/// The event log.
public protocol EventStore: EventSink {
    /// Events newest first, optionally of one type and one subject (or subjects under it: `models/churn/`).
    func listEvents(type: String?, subject: String?, maxResults: Int, pageToken: String?) async throws -> Page<Event>
}
