/// Text that goes into a LIKE pattern as itself.
enum SQLPattern {
    /// `text` with LIKE's wildcards (`%`, `_`) and the escape character (`\`) escaped, for a pattern
    /// written with `ESCAPE '\'` (the same on SQLite and PostgreSQL): `a_b` matches `a_b` only.
    static func escapedForLike(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count + 4)
        for character in text {
            if character == "%" || character == "_" || character == "\\" { out.append("\\") }
            out.append(character)
        }
        return out
    }
}
