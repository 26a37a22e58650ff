import ArgumentParser
import CEAuthCore
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

struct Show: CEAuthCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show one instance from the keyfile; its token only with --reveal.",
        discussion: "Name an instance by name or id (name:X or id:X when X is one's name and another's id). Exit codes: 0 shown; 6 the keyfile cannot be read, is another user's, or the entry is damaged; 9 no such instance, or the name matches several.")

    @OptionGroup var profileOptions: ProfileOptions

    @OptionGroup var target: InstanceArgument
    @Flag(help: "Include the instance token.")
    var reveal = false
    @Flag(help: "Print {name, id, element, baseUrl, host, created[, token]} as JSON on stdout.")
    var json = false

    var setup: CommandSetup { CommandSetup(profile: profileOptions.profile, secrets: false) }

    func run(_ context: CommandContext) throws {
        let (console, environment) = (context.console, context.environment)
        let (instance, path) = try target.findUsable(environment: environment, sending: false, token: reveal)
        if json {
            if reveal { try console.printRequested(instance.token.value, what: "token", keyfile: path, checkOnly: true) }
            console.json(CommandJSON.entry(instance, token: reveal))
            return
        }
        console.print("name:     \(instance.name)")
        console.print("id:       \(instance.id)")
        console.print("element:  \(instance.element)")
        console.print("base URL: \(instance.baseURL)")
        console.print("created:  \(instance.created)")
        console.print("token in: \(instance.tokenInSecretService ? "the Secret Service (desktop keyring)" : "the keyfile")")
        if reveal {
            console.write("token:    ", to: .output)
            try console.printRequested(instance.token.value, what: "token", keyfile: path)
        } else {
            console.print("token:    (hidden; --reveal shows it, ceauth token prints it alone)")
        }
    }
}
