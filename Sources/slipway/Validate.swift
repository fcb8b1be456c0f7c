import ArgumentParser
import Foundation
import SlipwayApp
import SlipwayCore
import SlipwayJobs

/// `slipway validate FILE|dataset:NAME[@V] --schema schema.yaml`: checks a table against a schema.
struct Validate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check a CSV file or a dataset against a schema: columns and types, nulls, ranges, categories, uniqueness, row count, freshness.",
        discussion: "Exit status: 0 when every rule holds, 1 when one is broken (each is listed with its count and sample rows), 2 for bad input.")
    @OptionGroup var store: StoreOptions
    @Argument(help: "A CSV file, or dataset:NAME[@VERSION] for an evaluation dataset in the store.") var source: String
    @Option(help: "The schema file (YAML or JSON).") var schema: String
    @Flag(help: "Print the report as JSON.") var json = false

    func run() async throws {
        let spec: ValidationSpec
        do {
            spec = ValidationSpec(source: source, schema: try ValidationSchema(json: try YAMLFile.read(schema)), schemaFile: schema)
        } catch {
            printError(error.message)
            throw ExitCode(2)
        }
        let report: ValidationReport
        if spec.dataset != nil {
            report = try await withServices(store) { services in
                guard let validations = services.jobRunner.validations else { throw SlipwayError(.invalidState, "This store cannot validate datasets") }
                return try await validations.check(spec)
            }
        } else {
            do {
                report = try await ValidateJob.checkFile(spec)
            } catch let error as SlipwayError {
                printError(error.message)
                throw ExitCode(2)
            }
        }
        print(json ? JSONWriter.string(report.json) : report.text)
        if !report.passed { throw ExitCode(1) }
    }
}
