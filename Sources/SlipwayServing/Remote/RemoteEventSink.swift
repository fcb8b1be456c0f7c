import SlipwayClient
public import SlipwayCore

/// Records a replica's events in the event log of the registry it follows (`POST /api/v1/events`),
/// so that a failed load on any replica shows where operators already look.
public struct RemoteEventSink: EventSink {
    let client: ServerClient

    public init(_ source: RemoteModelSource) {
        client = source.client
    }

    public func record(_ event: Event) async throws {
        try await client.post("/api/v1/events", json: event.cloudEvent)
    }
}
