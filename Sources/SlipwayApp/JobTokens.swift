import SlipwayCore
import SlipwayJobs

/// The credentials a command job's program gets on a server with auth: a token of the `jobs`
/// user (created once, not an admin) with the `write` scope, made for one run, expiring when the
/// run must have ended, and revoked when it ends.
enum JobTokens {
    static let user = "jobs"

    static func issue(_ auth: any AuthStore, job: String, runID: String, until: Int64) async throws -> CommandJob.RunToken {
        let time = WallClock.milliseconds()
        if try await !auth.listUsers().contains(where: { $0.name == user }) {
            do {
                try await auth.createUser(User(name: user, isAdmin: false, createdAt: time))
            } catch let error as SlipwayError where error.code == .resourceAlreadyExists {
                // Another process made it meanwhile.
            }
        }
        // Named after the job when that fits a token's name (100 bytes); the run's id always does.
        let name = "job-\(job)-\(runID)".utf8.count <= 100 ? "job-\(job)-\(runID)" : "job-run-\(runID)"
        let (token, text) = try await auth.createToken(name: name, user: user, scopes: [.write], at: time, expiresAt: until)
        return CommandJob.RunToken(token: text) { _ = try? await auth.revokeToken(token.id, at: WallClock.milliseconds()) }
    }
}
