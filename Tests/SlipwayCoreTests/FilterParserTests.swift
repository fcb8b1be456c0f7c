import Testing
@testable import SlipwayCore

@Suite("Search filter and order-by parsing")
struct FilterParserTests {
    let parser = FilterParser()

    @Test("An empty filter parses to nothing")
    func emptyFilter() throws {
        #expect(try parser.parse("") == nil)
        #expect(try parser.parse("   ") == nil)
    }

    @Test("MLflow's AND filter with metrics and params")
    func andFilter() throws {
        let parsed = try parser.parse("metrics.test_mae < 10 and params.model_type = 'xgb'")
        #expect(parsed == .and([
            .comparison(FilterComparison(entity: .metric, key: "test_mae", comparator: .less, value: .number(10))),
            .comparison(FilterComparison(entity: .param, key: "model_type", comparator: .equal, value: .string("xgb"))),
        ]))
    }

    @Test("Backtick-quoted keys, as the client's prompt filter sends them")
    func backtickKeys() throws {
        let parsed = try parser.parse("name LIKE 'iris%' AND tag.`mlflow.prompt.is_prompt` != 'true'")
        #expect(parsed == .and([
            .comparison(FilterComparison(entity: .attribute, key: "name", comparator: .like, value: .string("iris%"))),
            .comparison(FilterComparison(entity: .tag, key: "mlflow.prompt.is_prompt", comparator: .notEqual, value: .string("true"))),
        ]))
    }

    @Test("Double-quoted keys and values, no spaces around the operator")
    func doubleQuotes() throws {
        let parsed = try parser.parse("tags.\"my key\"=\"a b\"")
        #expect(parsed == .comparison(FilterComparison(entity: .tag, key: "my key", comparator: .equal, value: .string("a b"))))
        #expect(try parser.parse("name='iris-classifier'") == .comparison(
            FilterComparison(entity: .attribute, key: "name", comparator: .equal, value: .string("iris-classifier"))))
    }

    @Test("OR binds looser than AND; parentheses group")
    func orAndParentheses() throws {
        let parsed = try parser.parse("metrics.a > 1 OR metrics.b > 2 AND params.c = 'x'")
        guard case .or(let parts) = parsed else { Issue.record("expected OR"); return }
        #expect(parts.count == 2)
        guard case .and = parts[1] else { Issue.record("expected AND on the right"); return }
        let grouped = try parser.parse("(metrics.a > 1 OR metrics.b > 2) AND params.c = 'x'")
        guard case .and(let andParts) = grouped, case .or = andParts[0] else { Issue.record("expected grouping"); return }
    }

    @Test("IN and NOT IN lists")
    func inLists() throws {
        #expect(try parser.parse("attributes.run_id IN ('a', 'b')") == .comparison(
            FilterComparison(entity: .attribute, key: "run_id", comparator: .in, value: .list(["a", "b"]))))
        #expect(try parser.parse("params.p NOT IN (\"x\")") == .comparison(
            FilterComparison(entity: .param, key: "p", comparator: .notIn, value: .list(["x"]))))
    }

    @Test("Negative and exponent numbers")
    func numbers() throws {
        #expect(try parser.parse("metrics.loss >= -1.5e-3") == .comparison(
            FilterComparison(entity: .metric, key: "loss", comparator: .greaterOrEqual, value: .number(-1.5e-3))))
    }

    @Test("Bad filters are INVALID_PARAMETER_VALUE errors", arguments: [
        "metrics.test_mae <<< 10", "metrics.a < ", "foo.bar = 'x'", "metrics.a < 1 AND", "(metrics.a < 1", "params.a = 'unterminated",
        "metrics.a IN 5", "= 5",
    ])
    func badFilters(_ filter: String) {
        #expect(throws: SlipwayError.self) { try parser.parse(filter) }
        do { _ = try parser.parse(filter) } catch { #expect(error.code == .invalidParameterValue) }
    }

    @Test("The invalid comparator message matches MLflow's")
    func comparatorMessage() {
        do {
            _ = try parser.parse("metrics.test_mae <<< 10")
            Issue.record("expected an error")
        } catch {
            #expect(error.message.hasPrefix("Invalid comparator '<<<' not one of"))
        }
    }

    @Test("Order-by clauses")
    func orderBy() throws {
        #expect(try parser.parseOrderBy("metrics.test_mae ASC") == OrderTerm(entity: .metric, key: "test_mae", ascending: true))
        #expect(try parser.parseOrderBy("creation_time DESC") == OrderTerm(entity: .attribute, key: "creation_time", ascending: false))
        #expect(try parser.parseOrderBy("`metrics.a b`") == OrderTerm(entity: .metric, key: "a b", ascending: true))
        #expect(throws: SlipwayError.self) { try parser.parseOrderBy("name SIDEWAYS") }
        #expect(throws: SlipwayError.self) { try parser.parseOrderBy("") }
    }

    @Test("Run search validates comparators and value types per entity")
    func runSearchValidation() throws {
        #expect(throws: SlipwayError.self) { try RunSearch(experimentIDs: ["1"], filter: "metrics.a LIKE 'x'") }
        #expect(throws: SlipwayError.self) { try RunSearch(experimentIDs: ["1"], filter: "params.a > 'x'") }
        #expect(throws: SlipwayError.self) { try RunSearch(experimentIDs: ["1"], filter: "metrics.a = 'x'") }
        #expect(throws: SlipwayError.self) { try RunSearch(experimentIDs: ["1"], filter: "attributes.nope = 'x'") }
        #expect(throws: SlipwayError.self) { try RunSearch(experimentIDs: ["1"], filter: nil, maxResults: 0) }
        _ = try RunSearch(experimentIDs: ["1"], filter: "attributes.status = 'FINISHED' and attributes.start_time > 0")
    }
}

@Suite("Page tokens")
struct PageTokenTests {
    @Test("Round trip and MLflow's shape")
    func roundTrip() throws {
        let token = PageToken.encode(offset: 1)
        #expect(token == "eyJvZmZzZXQiOiAxfQ==")
        #expect(try PageToken.decode(token) == 1)
        #expect(try PageToken.decode(nil) == 0)
        #expect(try PageToken.decode("") == 0)
    }

    @Test("Garbage tokens are rejected", arguments: ["not base64!", "aGVsbG8=", "eyJvZmZzZXQiOiAtMX0="])
    func garbage(_ token: String) {
        #expect(throws: SlipwayError.self) { try PageToken.decode(token) }
    }
}
