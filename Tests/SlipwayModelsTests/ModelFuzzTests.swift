import Foundation
import SlipwayCore
import SlipwayTestSupport
import Testing
@testable import SlipwayModels

/// Mutated model files either load or fail with an error; a model that loads predicts hostile rows
/// (NaN, infinities, huge and negative categories) without trapping. Debug builds trap on overflow
/// and out-of-bounds access, so a crash here is a crash in production.
@Suite("Model file fuzzing")
struct ModelFuzzTests {
    /// xgboost 3.2, two trees with a categorical split on feature 1.
    static let xgboost = #"""
    {"learner":{"attributes":{},"feature_names":[],"feature_types":["q","c","q"],"gradient_booster":{"model":{"cats":{"enc":[],"feature_segments":[],"sorted_idx":[]},"gbtree_model_param":{"num_parallel_tree":"1","num_trees":"2"},"iteration_indptr":[0,1,2],"tree_info":[0,0],"trees":[{"categories":[],"categories_nodes":[],"categories_segments":[],"categories_sizes":[],"default_left":[0,0,0,0,0,0,0],"left_children":[1,3,5,-1,-1,-1,-1],"right_children":[2,4,6,-1,-1,-1,-1],"split_conditions":[0.16324401,-0.96385425,1.164864,-0.39975578,-0.114194475,0.18485019,0.5127968],"split_indices":[0,0,0,0,0,0,0],"split_type":[0,0,0,0,0,0,0],"tree_param":{"num_deleted":"0","num_feature":"3","num_nodes":"7","size_leaf_vector":"1"}},{"categories":[0,2,4,0,2,4],"categories_nodes":[1,2],"categories_segments":[0,3],"categories_sizes":[3,3],"default_left":[0,1,1,0,0,0,0],"left_children":[1,3,5,-1,-1,-1,-1],"right_children":[2,4,6,-1,-1,-1,-1],"split_conditions":[0.3863696,1e-45,1e-45,-0.008017641,-0.2504912,0.37659097,0.08893877],"split_indices":[0,1,1,0,0,0,0],"split_type":[0,1,1,0,0,0,0],"tree_param":{"num_deleted":"0","num_feature":"3","num_nodes":"7","size_leaf_vector":"1"}}]},"name":"gbtree"},"learner_model_param":{"base_score":"[5E-1]","boost_from_average":"0","num_class":"0","num_feature":"3","num_target":"1"},"objective":{"name":"reg:squarederror","reg_loss_param":{"scale_pos_weight":"1"}}},"version":[3,2,0]}
    """#

    /// lightgbm 4.7, linear trees; tree 0's root made a categorical split by hand.
    static let lightgbm = """
    tree
    version=v4
    num_class=1
    num_tree_per_iteration=1
    label_index=0
    max_feature_idx=2
    objective=regression
    feature_names=Column_0 Column_1 Column_2

    Tree=0
    num_leaves=4
    num_cat=1
    split_feature=1 0 0
    threshold=0 -0.81556703764341576 1.1575148086303604
    decision_type=1 2 10
    cat_boundaries=0 1
    cat_threshold=5
    left_child=1 -1 -2
    right_child=2 -3 -4
    leaf_value=0.36949115364113816 0.56008973198276457 0.46214651567347531 0.67319526108851857
    is_linear=1
    leaf_const=0.36949115364113816 0.56008973198276457 0.46214651567347531 0.67319526108851857
    num_features=0 0 0 0
    leaf_features=    
    leaf_coeff=    
    shrinkage=1


    Tree=1
    num_leaves=4
    num_cat=0
    split_feature=0 0 0
    threshold=0.16212679121901119 -0.98913356481623871 0.92626898577915828
    decision_type=2 2 2
    left_child=1 -1 -2
    right_child=2 -3 -4
    leaf_value=-0.1223636730150743 0.04705795672295305 -0.034814210913415689 0.14187801289108565
    is_linear=1
    leaf_const=-0.0035512045387939397 0.0037592115408800367 -0.0050316038773131067 0.018851415071145895
    num_features=1 1 1 1
    leaf_features=0  0  0  0  
    leaf_coeff=0.080697042273083594  0.081592709850522027  0.077435577613964121  0.083404542527687836  
    shrinkage=0.1


    end of trees
    """

    static let hostile: [String] = [
        "-1", "0", "1", "2", "3", "7", "31", "32", "64", "-2147483648", "2147483647", "4294967295", "9223372036854775807",
        "16777216", "1e308", "-1e308", "nan", "inf", "-inf", "0.5", "abc", "", "[]", "{}", "null", "\"x\"",
    ]

    static let rows: FeatureMatrix = {
        let cells: [Double] = [.nan, .infinity, -.infinity, 1e300, -1e300, 0, -0.5, 3, 5, 31, 32, 1e9, -1, 2.5, 4e9, 0x1p-149]
        var values: [Double] = []
        for i in 0..<64 { for j in 0..<3 { values.append(cells[(i * 7 + j * 3 + i / 16) % cells.count]) } }
        return try! FeatureMatrix(rows: 64, columns: 3, values: values)
    }()

    @Test("Both fixtures load and predict")
    func fixtures() throws {
        let x = try XGBoostModel(json: Array(Self.xgboost.utf8), source: "x.json")
        #expect(x.summary.details.contains { $0.0 == "categorical splits" })
        let l = try LightGBMModel(text: Self.lightgbm, source: "l.txt")
        #expect(l.summary.details.contains { $0.0 == "linear trees" } && l.summary.details.contains { $0.0 == "categorical splits" })
        #expect(try x.predict(Self.rows).count == 64)
        #expect(try l.predict(Self.rows).count == 64)
    }

    @Test("Mutated numbers, truncations and deletions never crash", arguments: ["xgboost", "lightgbm"])
    func mutations(_ format: String) {
        let original = Array((format == "xgboost" ? Self.xgboost : Self.lightgbm).utf8)
        var random = SplitMix(seed: format == "xgboost" ? 1 : 2)
        var loaded = 0
        for _ in 0..<6000 {
            let mutated = Self.mutate(original, &random)
            do {
                let model: any Predictor = format == "xgboost"
                    ? try XGBoostModel(json: mutated, source: "fuzz") : try LightGBMModel(bytes: mutated, source: "fuzz")
                loaded += 1
                if model.featureCount == 3 { _ = try model.predict(Self.rows, threads: 1) }
            } catch {
                #expect(!error.message.isEmpty)
            }
        }
        #expect(loaded > 100)  // enough mutants survive loading to exercise evaluation
    }

    static func mutate(_ bytes: [UInt8], _ random: inout SplitMix) -> [UInt8] {
        var out = bytes
        for _ in 0..<(1 + Int(random.next() % 3)) {
            switch random.next() % 4 {
            case 0, 1:  // replace a number with a hostile token
                let digits = out.indices.filter { (48...57).contains(out[$0]) }
                guard let at = digits.isEmpty ? nil : digits[Int(random.next() % UInt64(digits.count))] else { continue }
                var start = at, end = at
                while start > 0, isNumberByte(out[start - 1]) { start -= 1 }
                while end < out.count, isNumberByte(out[end]) { end += 1 }
                out.replaceSubrange(start..<end, with: Array(hostile[Int(random.next() % UInt64(hostile.count))].utf8))
            case 2:  // delete a short run
                guard !out.isEmpty else { continue }
                let at = Int(random.next() % UInt64(out.count))
                out.removeSubrange(at..<min(out.count, at + 1 + Int(random.next() % 8)))
            default:  // truncate
                out = Array(out.prefix(Int(random.next() % UInt64(out.count + 1))))
            }
        }
        return out
    }

    static func isNumberByte(_ byte: UInt8) -> Bool {
        (48...57).contains(byte) || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E")
    }
}

