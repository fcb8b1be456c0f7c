/// A text feature column's categories as the codes a model reads (`Predictor.textCategories`):
/// a cell's text becomes its index in the list, text not in it -1, a missing cell NaN.
struct TextCodes: Sendable {
    let codes: [[UInt8]: Double]

    init(_ categories: [String]) {
        var codes: [[UInt8]: Double] = [:]
        for (i, text) in categories.enumerated() where codes[Array(text.utf8)] == nil { codes[Array(text.utf8)] = Double(i) }
        self.codes = codes
    }

    /// The code of a cell's text (unescaped), -1 when the model never saw it.
    func code(_ text: some Collection<UInt8>) -> Double {
        codes[Array(text)] ?? -1
    }

    /// Per feature slot, its codes (nil for a numeric feature).
    static func slots(_ categories: [Int: [String]], featureCount: Int) -> [TextCodes?] {
        (0..<featureCount).map { slot in categories[slot].map(TextCodes.init) }
    }
}
