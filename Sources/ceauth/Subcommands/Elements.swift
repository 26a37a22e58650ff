import ArgumentParser
import CEAuthCore
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

struct Elements: CEAuthCommand {
    static let configuration = CommandConfiguration(
        commandName: "elements",
        abstract: "List the elements ceauth has templates for, with their scopes and where each template comes from.")

    @OptionGroup var profileOptions: ProfileOptions

    @OptionGroup var templateOptions: TemplateOptions
    @Flag(help: "Print a JSON array of {key, name, scopes, hub, source} on stdout.")
    var json = false

    var setup: CommandSetup { CommandSetup(profile: profileOptions.profile, secrets: false) }

    func run(_ context: CommandContext) throws {
        let (console, environment) = (context.console, context.environment)
        let library = try templateOptions.library(environment: environment)
        var items: [LosslessJSON] = []
        for key in library.elementKeys {
            let template = try library.element(key)
            let source = library.source(ofElement: key) ?? key + ".json"
            if json {
                items.append(.object([
                    .init("key", .string(JSONString(key))), .init("name", .string(JSONString(template.displayName))),
                    .init("scopes", .array(template.authorization.scopes.map { .string(JSONString($0)) })),
                    .init("hub", .string(JSONString(template.hub))), .init("source", .string(JSONString(source))),
                ]))
            } else {
                console.print("\(key)\t\(template.displayName)\t\(template.authorization.scopes.joined(separator: " "))\t\(source)")
            }
        }
        if json { console.json(.array(items)) }
    }
}
