/// The jobs and the `after` links between them: every job named in an `after` list must exist,
/// and no job may run after itself, directly or through others.
public enum JobGraph {
    /// The jobs in an order where each comes after those it runs after (ties by name).
    /// - Throws: NOT_FOUND for a job named in `after` that is not among `jobs`; INVALID_PARAMETER_VALUE
    ///   naming a cycle.
    public static func ordered(_ jobs: [Job]) throws(SlipwayError) -> [Job] {
        var byName: [String: Job] = [:]
        for job in jobs { byName[job.name] = job }
        for job in jobs.sorted(by: { $0.name < $1.name }) {
            for upstream in job.after where byName[upstream] == nil {
                throw SlipwayError.notFound("Job '\(job.name)' runs after '\(upstream)', which does not exist")
            }
            for required in job.requires where byName[required] == nil {
                throw SlipwayError.notFound("Job '\(job.name)' requires '\(required)', which does not exist")
            }
        }
        var done = Set<String>()
        var visiting: [String] = []
        var order: [Job] = []
        func visit(_ name: String) throws(SlipwayError) {
            if done.contains(name) { return }
            if let index = visiting.firstIndex(of: name) {
                throw .invalidParameter("The jobs' 'after' links form a cycle: \((visiting[index...] + [name]).joined(separator: " -> "))")
            }
            visiting.append(name)
            for upstream in byName[name]!.after.sorted() { try visit(upstream) }
            visiting.removeLast()
            done.insert(name)
            order.append(byName[name]!)
        }
        for name in byName.keys.sorted() { try visit(name) }
        return order
    }
}
