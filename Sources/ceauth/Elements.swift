import ArgumentParser
import CEAuthCore
import Foundation

struct Elements: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the elements ceauth has templates for.")

    @Option(name: .long, help: ArgumentHelp("A folder of extra or replacement templates (also CEAUTH_TEMPLATES).", valueName: "dir"))
    var templates: String?

    func run() throws {
        var options = LoginOptions(element: "")
        options.templatesDirectory = templates
        do {
            let library = try options.library(environment: ProcessInfo.processInfo.environment)
            for key in library.elementKeys {
                let template = try library.element(key)
                print("\(key)\t\(template.displayName)\t\(template.authorization.scopes.joined(separator: " "))")
            }
        } catch {
            Terminal.say("ceauth: error: \(error)")
            throw ExitCode(ExitStatus.usage)
        }
    }
}
