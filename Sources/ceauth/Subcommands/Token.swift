import ArgumentParser
import CEAuthCore
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

struct Token: CEAuthCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Print an instance's token alone on stdout, for TOKEN=$(ceauth token NAME).",
        discussion: "Name an instance by name or id (name:X or id:X when X is one's name and another's id). Exit codes: 0 printed; 6 the keyfile cannot be read, is another user's, or the entry is damaged (an empty token); 9 no such instance, or the name matches several.")

    @OptionGroup var profileOptions: ProfileOptions

    @OptionGroup var target: InstanceArgument
    @Flag(help: "Print {name, id, token} as JSON on stdout.")
    var json = false

    var setup: CommandSetup { CommandSetup(profile: profileOptions.profile, secrets: false) }

    func run(_ context: CommandContext) throws {
        let (console, environment) = (context.console, context.environment)
        let (instance, path) = try target.findUsable(environment: environment, sending: false)
        guard json else { return try console.printRequested(instance.token.value, what: "token", keyfile: path) }
        try console.printRequested(instance.token.value, what: "token", keyfile: path, checkOnly: true)
        console.json(CommandJSON.named(instance, "token", instance.token.value))
    }
}
