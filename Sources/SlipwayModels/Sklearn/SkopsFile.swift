import SlipwayCore

/// A skops file (docs/research/skops-format.md): a zip of `schema.json`, a tree of nodes that
/// describe the saved objects, and `.npy` files for their arrays. Read as data: nothing in it is
/// executed, and only the classes Slipway knows become a model.
struct SkopsFile {
    let archive: ZipArchive
    let root: Node
    let source: String

    init(bytes: [UInt8], source: String) throws(SlipwayError) {
        let archive = try ZipArchive(bytes: bytes, source: source)
        guard let schema = archive.entry("schema.json") else { throw .invalidParameter("'\(source)' is not a skops file: it has no schema.json") }
        let json: JSONValue
        do {
            json = try JSONParser.parse(Array(schema))
        } catch {
            throw .invalidParameter("The schema.json of '\(source)' is not valid JSON (\(error.message))")
        }
        guard case .number(let protocolVersion)? = json["protocol"], protocolVersion >= 1, protocolVersion <= 2 else {
            throw .invalidParameter("'\(source)' has skops protocol \(json["protocol"].map { "\($0)" } ?? "none"); Slipway reads protocols 1 and 2")
        }
        self.archive = archive
        self.source = source
        self.root = Node(json: json, path: "model")
    }

    /// One node of the schema, with the path that reached it (for error messages).
    struct Node {
        let json: JSONValue
        let path: String

        var className: String { json["__class__"]?.stringValue ?? "?" }
        var module: String { json["__module__"]?.stringValue ?? "?" }
        var qualifiedName: String { "\(module).\(className)" }
        var loader: String { json["__loader__"]?.stringValue ?? "?" }

        /// An attribute of an object node (its `content` dictionary).
        func attribute(_ name: String) -> Node? {
            guard loader == "ObjectNode" || loader == "TreeNode", let dict = json["content"], dict["__loader__"]?.stringValue == "DictNode",
                  let value = dict["content"]?[name] else { return nil }
            return Node(json: value, path: "\(path).\(name)")
        }

        /// The items of a list or tuple node.
        var items: [Node]? {
            guard loader == "ListNode" || loader == "TupleNode", let items = json["content"]?.arrayValue else { return nil }
            return items.enumerated().map { Node(json: $1, path: "\(path)[\($0)]") }
        }

        /// A plain value (`JsonNode`): its JSON, NaN and the infinities included.
        var value: JSONValue? {
            guard loader == "JsonNode", let text = json["content"]?.stringValue else { return nil }
            return try? JSONParser.parse(Array(text.utf8))
        }
    }

    func fail(_ node: Node, _ why: String) -> SlipwayError {
        .invalidParameter("The scikit-learn model in '\(source)': \(node.path) \(why)")
    }

    /// A required attribute.
    func attribute(_ node: Node, _ name: String) throws(SlipwayError) -> Node {
        guard let found = node.attribute(name) else { throw fail(node, "(\(node.qualifiedName)) has no '\(name)'") }
        return found
    }

    /// A number or numeric array (a `.npy` file, a numpy scalar, a JSON list or a plain number).
    func numbers(_ node: Node) throws(SlipwayError) -> NumpyArray {
        if let value = node.value, let number = value.numberValue {
            return NumpyArray(shape: [], values: [number])
        }
        guard node.loader == "NdArrayNode" else { throw fail(node, "is not a number or an array (\(node.loader))") }
        if node.json["type"]?.stringValue == "numpy", let file = node.json["file"]?.stringValue {
            guard let bytes = archive.entry(file) else { throw fail(node, "names '\(file)', which the archive lacks") }
            let array = try NumpyArray(bytes, name: file)
            guard array.strings.isEmpty else { throw fail(node, "holds text where numbers were expected") }
            return array
        }
        let items = node.json["content"]?.arrayValue ?? []
        var values: [Double] = []
        for (i, item) in items.enumerated() {
            guard let number = Node(json: item, path: "\(node.path)[\(i)]").value?.numberValue else { throw fail(node, "holds a non-number") }
            values.append(number)
        }
        return NumpyArray(shape: [values.count], values: values)
    }

    /// A required whole-number attribute (`n_features_in_`, `n_classes_`...).
    func count(_ node: Node, _ name: String) throws(SlipwayError) -> Int {
        let number = try numbers(try attribute(node, name)).values.first ?? -1
        guard number == number.rounded(), number >= 0, number < Double(1 << 40) else { throw fail(node, "has '\(name)' \(number), not a count") }
        return Int(number)
    }

    /// A classifier's `classes_`: numbers (`i8`, `f8`, `b1` arrays), or text (`<U` arrays, object arrays).
    func labels(_ node: Node) throws(SlipwayError) -> (text: [String], numbers: [Double]?) {
        if node.json["type"]?.stringValue == "numpy", let file = node.json["file"]?.stringValue, let bytes = archive.entry(file) {
            let array = try NumpyArray(bytes, name: file)
            if array.shape.count == 1, array.strings.count == array.shape[0] { return (array.strings, nil) }
            guard array.shape.count == 1, array.recordSize == 0 else { throw fail(node, "is not a list of classes") }
            return (array.values.map(Self.label), array.values)
        }
        var texts: [String] = [], numbers: [Double] = []
        for (i, item) in (node.json["content"]?.arrayValue ?? []).enumerated() {
            switch Node(json: item, path: "\(node.path)[\(i)]").value {
            case .string(let text)?: texts.append(text)
            case .number(let number)?:
                texts.append(Self.label(number))
                numbers.append(number)
            default: throw fail(node, "holds a class that is neither text nor a number")
            }
        }
        return (texts, numbers.count == texts.count ? numbers : nil)
    }

    /// A numeric class as Python prints it when it is whole (`2`, not `2.0`).
    static func label(_ number: Double) -> String {
        number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) : String(number)
    }

    /// A record array (a structured `.npy`, like a tree's nodes).
    func records(_ node: Node) throws(SlipwayError) -> NumpyArray {
        guard node.loader == "NdArrayNode", node.json["type"]?.stringValue == "numpy", let file = node.json["file"]?.stringValue else {
            throw fail(node, "is not a stored array (\(node.loader))")
        }
        guard let bytes = archive.entry(file) else { throw fail(node, "names '\(file)', which the archive lacks") }
        let array = try NumpyArray(bytes, name: file)
        guard array.recordSize > 0 else { throw fail(node, "is not an array of records") }
        return array
    }

    /// Text items: an object array of strings (`type: json`) or a NumPy string array.
    func strings(_ node: Node) throws(SlipwayError) -> [String] {
        if node.json["type"]?.stringValue == "numpy", let file = node.json["file"]?.stringValue, let bytes = archive.entry(file) {
            return try NumpyArray(bytes, name: file).strings
        }
        var texts: [String] = []
        for (i, item) in (node.json["content"]?.arrayValue ?? []).enumerated() {
            guard let text = Node(json: item, path: "\(node.path)[\(i)]").value?.stringValue else { throw fail(node, "holds a non-string name") }
            texts.append(text)
        }
        return texts
    }
}

/// An array made in memory (a plain number, a JSON list).
extension NumpyArray {
    init(shape: [Int], values: [Double]) {
        self.shape = shape
        self.values = values
    }
}
