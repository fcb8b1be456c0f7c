import Foundation
public import Logging
public import ServiceLifecycle
public import SlipwayCore

/// Sends queued deliveries until shutdown: every `pollInterval` it claims the due ones, POSTs each
/// to its webhook (in the webhook's format: `WebhookPayload`), and records the outcome. A 2xx is
/// delivered; anything else is retried with exponential backoff (`Backoff`: the base doubling up to
/// the cap) until `maxAttempts`, then marked failed (replayable). Rows live in the database, so a
/// restart loses nothing: at least once.
public struct WebhookDeliverer: Service {
    let store: any DeliveryStore
    let logger: Logger
    let pollInterval: Duration
    let backoff: Backoff
    let maxAttempts: Int
    /// How long a claimed delivery is held before another pass may claim it again (a sender that died).
    let lease: Int64
    let transport: any WebhookTransport
    let now: @Sendable () -> Int64

    public init(
        store: any DeliveryStore, logger: Logger, transport: any WebhookTransport = HTTPWebhookTransport(), pollInterval: Duration = .milliseconds(250),
        retryBaseMilliseconds: Int64 = 1000, retryCapMilliseconds: Int64 = 300_000, maxAttempts: Int = 15, leaseMilliseconds: Int64 = 30_000,
        now: @escaping @Sendable () -> Int64 = WallClock.milliseconds
    ) {
        self.store = store
        self.logger = logger
        self.transport = transport
        self.pollInterval = pollInterval
        self.backoff = Backoff(baseMilliseconds: retryBaseMilliseconds, capMilliseconds: retryCapMilliseconds)
        self.maxAttempts = maxAttempts
        self.lease = leaseMilliseconds
        self.now = now
    }

    public func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await deliverDue()
                try await Task.sleep(for: pollInterval)
            }
        }
    }

    /// One pass: claims what is due and sends it, a few at a time.
    public func deliverDue() async {
        let due: [DueDelivery]
        do {
            due = try await store.claimDue(now: now(), lease: lease, limit: 32)
        } catch {
            logger.error("webhooks.claim_failed", metadata: ["error": "\(error)"])
            return
        }
        await withTaskGroup(of: Void.self) { group in
            for item in due { group.addTask { await deliver(item) } }
        }
    }

    func deliver(_ item: DueDelivery) async {
        let time = now()
        let payload = WebhookPayload(delivery: item.delivery, event: item.event, webhook: item.webhook, at: time)
        var statusCode: Int?
        var failure: String?
        do {
            statusCode = try await transport.post(url: item.webhook.url, headers: payload.headers, body: payload.body).status
            if !(200..<300).contains(statusCode ?? 0) { failure = "HTTP \(statusCode ?? 0)" }
        } catch {
            failure = error.localizedDescription
        }
        let delivered = failure == nil
        let attempts = item.delivery.attempts + 1
        let retryAt: Int64? = delivered || attempts >= maxAttempts ? nil : time + backoff.delay(afterFailure: attempts)
        do {
            try await store.recordAttempt(id: item.delivery.id, at: time, statusCode: statusCode, error: failure, delivered: delivered, retryAt: retryAt)
        } catch {
            logger.error("webhooks.record_failed", metadata: ["delivery": "\(item.delivery.id)", "error": "\(error)"])
        }
        let metadata: Logger.Metadata = [
            "delivery": "\(item.delivery.id)", "event": "\(item.event.type)", "url": "\(item.webhook.url)", "attempt": "\(attempts)",
        ]
        if delivered {
            logger.info("webhooks.delivered", metadata: metadata)
        } else {
            logger.warning("webhooks.attempt_failed", metadata: metadata.merging(["error": "\(failure ?? "")", "retry": "\(retryAt != nil)"]) { a, _ in a })
        }
    }
}
