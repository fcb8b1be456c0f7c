/// Friendly run names in MLflow's style (`bold-fox-123`) for runs created without one.
public enum RunNames {
    static let adjectives = ["able", "bold", "brave", "bright", "calm", "clever", "crisp", "eager", "fair", "gentle",
                             "glad", "grand", "keen", "kind", "lucky", "merry", "nimble", "proud", "quick", "quiet",
                             "rare", "sharp", "shy", "smooth", "swift", "tidy", "vast", "warm", "wise", "zesty"]
    static let nouns = ["ant", "bat", "bear", "bee", "cat", "crab", "crow", "deer", "doe", "dove", "eel", "elk", "finch",
                        "fox", "frog", "goat", "hare", "hawk", "lark", "lynx", "mole", "moth", "newt", "owl", "ram",
                        "seal", "slug", "swan", "toad", "wolf", "wren", "yak"]

    public static func generate() -> String {
        var rng = SystemRandomNumberGenerator()
        return "\(adjectives.randomElement(using: &rng)!)-\(nouns.randomElement(using: &rng)!)-\(Int.random(in: 0..<1000, using: &rng))"
    }
}
