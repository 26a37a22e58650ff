import ArgumentParser
import CEAuthCore

/// Work on the keyfile itself.
struct KeyfileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keyfile", abstract: "Work on the keyfile itself: move tokens between it and the desktop keyring.",
        subcommands: [MoveTokens.self])

    struct MoveTokens: CEAuthCommand {
        static let configuration = CommandConfiguration(
            commandName: "move-tokens",
            abstract: "Move instance tokens into the Secret Service, or back into the keyfile, without losing one.",
            discussion: """
            Each token is written at the destination and read back before its entry is rewritten, and removed from \
            the keyring only after the entry holds it again: a crash at any point leaves every token reachable from \
            its entry. Without NAME|ID, every entry whose token is elsewhere moves.
            Exit codes: 0 moved (also when nothing needed to); 6 the keyfile; 9 no such instance; 12 the Secret Service cannot serve; 64 usage.
            """)

        @Option(help: ArgumentHelp("Where the tokens go: secret-service or keyfile.", valueName: "store"),
                completion: .list(TokenStore.allCases.map(\.rawValue)))
        var to: String

        @Argument(help: ArgumentHelp("The instances (name or id); default: all.", valueName: "name-or-id"), completion: Completions.instances)
        var instances: [String] = []

        @OptionGroup var keyfile: KeyfileOptions
        @OptionGroup var profileOptions: ProfileOptions
        @Flag(help: "Print [{name, id, tokenStore, moved}] as JSON on stdout.") var json = false

        var setup: CommandSetup { CommandSetup(profile: profileOptions.profile, secrets: false) }

        func run(_ context: CommandContext) throws {
            let destination = try TokenStore.parse(to, option: "--to")
            let path = try keyfile.path(environment: context.environment)
            let store = KeyfileStore(path: path)
            let entries = try store.entries()
            let chosen = try instances.isEmpty ? Array(entries) : instances.map { try KeyfileReader.find($0, in: entries, keyfile: path) }
            // The keyring is reached before anything moves, either way.
            let keyring = try SecretService.reached(environment: context.environment)
            try store.preflight()
            var rows: [(KeyfileEntry, moved: Bool)] = []
            for entry in chosen {
                guard entry.tokenInSecretService != (destination == .secretService) else { rows.append((entry, false)); continue }
                let whole = try TokenStore.resolve(entry, keyring: { keyring }).usable(keyfile: path, sending: false)
                try TokenStore.save(whole, in: destination, keyfile: store, keyring: keyring)
                rows.append((entry, true))
                context.console.say("Moved the token of \(entry.summary) to \(destination == .secretService ? "the Secret Service" : "the keyfile \(path)").")
            }
            let moved = rows.filter(\.moved).count
            context.console.say("\(moved) token\(moved == 1 ? "" : "s") moved, \(rows.count - moved) already \(destination == .secretService ? "in the Secret Service" : "in the keyfile").")
            if json {
                context.console.json(.array(rows.map { entry, moved in
                    .object([.init("name", .string(JSONString(entry.name))), .init("id", .number(String(entry.id))),
                             .init("tokenStore", .string(JSONString(destination.rawValue))), .init("moved", .literal(moved ? "true" : "false"))])
                }))
            }
        }
    }
}
