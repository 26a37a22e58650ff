import ArgumentParser
import CEAuthCore

/// The Cloud Elements and Google secrets in the Secret Service, per profile. Resolution order
/// for every command: the environment, then the profile's secret command, then the keyring.
struct Secrets: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "secrets",
        abstract: "Keep the Cloud Elements user and organization secrets and the Google client secret in the desktop keyring (Secret Service).",
        discussion: """
        Keys: \(SecretKey.allCases.map(\.rawValue).joined(separator: ", ")). Commands take each secret from its environment variable, \
        else the profile's secret command, else the keyring (ceauth config list says which). Values are read from standard input, \
        never from the command line, and never printed.
        Exit codes: 0 done; 1 (delete) nothing was set; 12 the Secret Service cannot serve (no session bus, no service, locked, no answer); 64 usage.
        """,
        subcommands: [SetSecret.self, ListSecrets.self, DeleteSecret.self])

    /// What set and delete work on: KEY and the profile.
    struct Target: ParsableArguments {
        @Argument(help: "user-secret, org-secret or client-secret.", completion: .list(SecretKey.allCases.map(\.rawValue))) var key: String
        @OptionGroup var profileOptions: ProfileOptions

        var setup: CommandSetup { CommandSetup(profile: profileOptions.profile, secrets: false, loadsProfile: false) }

        /// The secret named, the profile, and the keyring reached (first: nothing is typed for a
        /// store that cannot take it).
        func resolve(_ context: CommandContext) throws -> (SecretKey, profile: String, SecretService) {
            let secret = try SecretKey.parse(key)
            let (_, _, name) = try Config.file(profileOptions, environment: context.environment)
            return (secret, name, try SecretService.reached(environment: context.environment))
        }
    }

    struct SetSecret: CEAuthCommand {
        static let configuration = CommandConfiguration(commandName: "set", abstract: "Store KEY's value, read from standard input (not echoed on a terminal), in the keyring.")
        @OptionGroup var target: Target

        var setup: CommandSetup { target.setup }

        func run(_ context: CommandContext) throws {
            let (secret, profile, keyring) = try target.resolve(context)
            let terminal = context.io.inputIsTerminal
            if terminal { context.console.say("\(secret.rawValue) for profile \(profile) (not shown as you type):") }
            if terminal { _ = OS.setEcho(0, false) }
            let line = StandardInput.readLine()
            if terminal { _ = OS.setEcho(0, true); context.console.say("") }
            guard case .line(let value) = line, !value.isEmpty else {
                throw ConfigurationError.invalidValue(option: secret.rawValue, reason: "no value on standard input; pipe it in (printf %s \"$SECRET\" | ceauth secrets set \(secret.rawValue)) or type it at the prompt")
            }
            try Settings.requireVariables([secret.variable], environment: [secret.variable: value])
            Redactor.learn([value])
            try keyring.store(.setting(secret.rawValue, profile: profile), secret: value)
            context.console.say("Stored \(secret.rawValue) for profile \(profile) in the Secret Service; \(secret.variable), when set, still wins.")
        }
    }

    struct ListSecrets: CEAuthCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "Say which secrets the keyring holds for which profile (never a value).")
        @Flag(help: "Print [{profile, key, set}] as JSON on stdout.") var json = false

        var setup: CommandSetup { CommandSetup(profile: nil, secrets: false, loadsProfile: false) }

        func run(_ context: CommandContext) throws {
            let rows = try SecretKey.stored(in: try SecretService.reached(environment: context.environment), environment: context.environment)
            if json {
                context.console.json(.array(rows.map { .object([.init("profile", .string(JSONString($0.profile))), .init("key", .string(JSONString($0.key))),
                                                               .init("set", .literal($0.set ? "true" : "false"))]) }))
                return
            }
            context.console.print("PROFILE\tKEY\tIN KEYRING")
            for row in rows { context.console.print("\(row.profile)\t\(row.key)\t\(row.set ? "set" : "-")") }
        }
    }

    struct DeleteSecret: CEAuthCommand {
        static let configuration = CommandConfiguration(commandName: "delete", abstract: "Remove KEY of a profile from the keyring (exit 1 when it was not there).")
        @OptionGroup var target: Target

        var setup: CommandSetup { target.setup }

        func run(_ context: CommandContext) throws {
            let (secret, profile, keyring) = try target.resolve(context)
            let item = SecretItem.setting(secret.rawValue, profile: profile)
            guard try keyring.lookup(item) != nil else {
                context.console.say("The keyring holds no \(secret.rawValue) for profile \(profile); nothing was removed.")
                throw ExitCode(1)
            }
            try keyring.clear(item)
            context.console.say("Removed \(secret.rawValue) of profile \(profile) from the Secret Service.")
        }
    }
}
