import SlipwayCore
import Testing
@testable import SlipwayModels

@Suite("LightGBM text model")
struct LightGBMModelTests {
    /// One split on feature 0 at 0.5 (`<=` goes left); NaN missing type with default right.
    let model = """
    tree
    version=v4
    num_class=1
    num_tree_per_iteration=1
    label_index=0
    max_feature_idx=1
    objective=regression
    feature_names=a b

    Tree=0
    num_leaves=2
    num_cat=0
    split_feature=0
    threshold=0.5
    decision_type=8
    left_child=-1
    right_child=-2
    leaf_value=-1 3
    is_linear=0
    shrinkage=1

    end of trees
    """

    @Test("Splits with <=, NaN missing values go the default way")
    func predictions() throws {
        let lgbm = try LightGBMModel(text: model, source: "m.txt")
        #expect(lgbm.featureNames == ["a", "b"])
        let rows = try FeatureMatrix(rows: 3, columns: 2, values: [0.5, 0, 0.75, 0, .nan, 0])
        #expect(try lgbm.predict(rows) == [-1, 3, 3])
    }

    @Test("Malformed text is a clear error", arguments: ["", "tree\nversion=v4\n", "max_feature_idx=1\nversion=v4\nobjective=lambdarank\nTree=0\nnum_leaves=1\nleaf_value=1\n"])
    func malformed(_ text: String) {
        #expect(throws: SlipwayError.self) { try LightGBMModel(text: text, source: "bad.txt") }
    }
}
