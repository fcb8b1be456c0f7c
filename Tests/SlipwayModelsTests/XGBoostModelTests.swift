import SlipwayCore
import Testing
@testable import SlipwayModels

@Suite("XGBoost JSON model")
struct XGBoostModelTests {
    /// One stump on feature 1 (`x1 < 0.5` left, missing goes right), regression, base_score 0.5.
    let stump = #"""
    {"learner": {"objective": {"name": "reg:squarederror"},
      "learner_model_param": {"base_score": "[5E-1]", "num_class": "0", "num_feature": "2", "num_target": "1"},
      "feature_names": ["a", "b"],
      "gradient_booster": {"name": "gbtree", "model": {"tree_info": [0], "trees": [
        {"left_children": [1, -1, -1], "right_children": [2, -1, -1], "split_indices": [1, 0, 0],
         "split_conditions": [0.5, -1.0, 2.0], "default_left": [0, 0, 0], "split_type": [0, 0, 0]}]}}}, "version": [3, 2, 0]}
    """#

    @Test("Splits, default directions for missing values, base score")
    func stumpPredictions() throws {
        let model = try XGBoostModel(json: Array(stump.utf8), source: "stump.json")
        #expect(model.featureNames == ["a", "b"])
        #expect(model.outputKind == .value)
        let rows = try FeatureMatrix(rows: 3, columns: 2, values: [0, 0.25, 0, 0.75, 0, .nan])
        #expect(try model.predict(rows) == [-0.5, 2.5, 2.5])
    }

    @Test("Malformed models are clear errors", arguments: [
        "{}", #"{"learner": {}}"#, "[1,2", #"{"learner": {"objective": {"name": "rank:ndcg"}}}"#,
    ])
    func malformed(_ text: String) {
        #expect(throws: SlipwayError.self) { try XGBoostModel(json: Array(text.utf8), source: "bad.json") }
    }

    @Test("A row of the wrong width is refused")
    func wrongWidth() throws {
        let model = try XGBoostModel(json: Array(stump.utf8), source: "stump.json")
        #expect(throws: SlipwayError.self) { try model.predict(try FeatureMatrix(rows: 1, columns: 3, values: [1, 2, 3])) }
    }
}
