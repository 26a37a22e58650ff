import ArgumentParser
import CEAuthCore
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

struct Elements: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the elements ceauth has templates for.")

    @Option(name: .long, help: ArgumentHelp("A folder of extra or replacement templates (also CEAUTH_TEMPLATES).", valueName: "dir"))
    var templates: String?

    func run() throws {
        let environment = ProcessInfo.processInfo.environment
        let console = Console(environment: environment)
        var options = LoginOptions(element: "")
        options.templatesDirectory = templates
        do {
            let library = try options.library(environment: environment)
            for key in library.elementKeys {
                let template = try library.element(key)
                console.print("\(key)\t\(template.displayName)\t\(template.authorization.scopes.joined(separator: " "))")
            }
        } catch {
            console.fail(error)
            throw ExitCode(ExitStatus.usage)
        }
    }
}
