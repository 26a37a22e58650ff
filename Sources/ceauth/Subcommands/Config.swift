import ArgumentParser
import CEAuthCore
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

struct Config: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Manage profiles of settings in the config file ($XDG_CONFIG_HOME/ceauth/config); never secrets.",
        discussion: """
        Flags win over environment variables, which win over the profile, which wins over the defaults. A profile \
        is chosen with --profile or CEAUTH_PROFILE (else 'default'). Secrets are never stored: give a command that \
        prints one instead (user-secret-command, org-secret-command, client-secret-command), run without a shell.
        Keys: \(ConfigFile.keys.map(\.key).joined(separator: ", ")).
        """,
        subcommands: [SetValue.self, GetValue.self, UnsetValue.self, ListValues.self])

    /// The config file and the profile a subcommand works on.
    static func file(_ profile: ProfileOptions, environment: [String: String]) throws -> (path: String, config: ConfigFile, name: String) {
        let path = try ConfigFile.path(environment: environment)
        let name = profile.profile ?? Settings.nonEmpty(environment[Settings.Variable.profile]) ?? "default"
        try ConfigFile.checkProfileName(name, option: profile.profile != nil ? "--profile" : Settings.Variable.profile)
        return (path, ConfigFile(text: try ConfigFileReader.read(path) ?? ""), name)
    }

    /// set (a value) or unset (nil) one key of a profile.
    static func edit(_ key: String, _ value: String?, profile: ProfileOptions, json: Bool, context: CommandContext) throws {
        let console = context.console
        try ConfigFile.check(key: key)
        if let value, value.isEmpty || ConfigurationError.controlCharacter(in: value) != nil {
            throw ConfigurationError.invalidValue(option: key, reason: "give a value without control characters")
        }
        if let value, ConfigFile.secretCommands[key] != nil, let problem = SecretCommand.problem(inLine: value) {
            throw ConfigurationError.invalidValue(option: key, reason: problem)
        }
        var (path, config, name) = try file(profile, environment: context.environment)
        config.set(key, value, profile: name)
        try write(config, to: path)
        console.say("\(value == nil ? "Unset" : "Set") \(key) in profile \(name) of \(path).")
        if json { console.json(Config.json(name, key, value)) }
    }

    static func json(_ profile: String, _ key: String, _ value: String?) -> LosslessJSON {
        .object([.init("profile", .string(JSONString(profile))), .init("key", .string(JSONString(key))),
                 .init("value", value.map { .string(JSONString($0)) } ?? .literal("null"))])
    }

    static func write(_ config: ConfigFile, to path: String) throws {
        do {
            try PrivateFile(path: path, noun: "config file").replace(with: Data(config.text.utf8))
        } catch {
            throw ConfigFileError(writing: path, error)
        }
    }

    struct SetValue: CEAuthCommand {
        static let configuration = CommandConfiguration(commandName: "set", abstract: "Set KEY to VALUE in a profile.")
        @Argument(help: "The setting.", completion: .list(ConfigFile.keys.map(\.key))) var key: String
        @Argument(help: "Its value.") var value: String
        @OptionGroup var profileOptions: ProfileOptions

        @Flag(help: "Print {profile, key, value} as JSON on stdout.") var json = false

        var setup: CommandSetup { CommandSetup(profile: profileOptions.profile, secrets: false, loadsProfile: false) }

        func run(_ context: CommandContext) throws {
            try Config.edit(key, value, profile: profileOptions, json: json, context: context)
        }
    }

    struct GetValue: CEAuthCommand {
        static let configuration = CommandConfiguration(commandName: "get", abstract: "Print KEY's value in a profile (exit 1 when it is not set).")
        @Argument(help: "The setting.", completion: .list(ConfigFile.keys.map(\.key))) var key: String
        @OptionGroup var profileOptions: ProfileOptions

        @Flag(help: "Print {profile, key, value} as JSON on stdout.") var json = false

        var setup: CommandSetup { CommandSetup(profile: profileOptions.profile, secrets: false, loadsProfile: false) }

        func run(_ context: CommandContext) throws {
            let console = context.console
            try ConfigFile.check(key: key)
            let (_, config, name) = try Config.file(profileOptions, environment: context.environment)
            let value = config.values(profile: name)[key]
            if json { console.json(Config.json(name, key, value)) } else if let value { console.print(value) }
            if value == nil { throw ExitCode(1) }
        }
    }

    struct UnsetValue: CEAuthCommand {
        static let configuration = CommandConfiguration(commandName: "unset", abstract: "Remove KEY from a profile.")
        @Argument(help: "The setting.", completion: .list(ConfigFile.keys.map(\.key))) var key: String
        @OptionGroup var profileOptions: ProfileOptions

        @Flag(help: "Print {profile, key, value} as JSON on stdout.") var json = false

        var setup: CommandSetup { CommandSetup(profile: profileOptions.profile, secrets: false, loadsProfile: false) }

        func run(_ context: CommandContext) throws {
            try Config.edit(key, nil, profile: profileOptions, json: json, context: context)
        }
    }

    struct ListValues: CEAuthCommand {
        static let configuration = CommandConfiguration(
            commandName: "list", abstract: "Show each setting as a command would see it, and where it comes from (secrets only as set or not).")
        @OptionGroup var profileOptions: ProfileOptions
        @Flag(help: "Print [{key, value, source}] as JSON on stdout.") var json = false

        var setup: CommandSetup { CommandSetup(profile: profileOptions.profile, secrets: false) }

        func run(_ context: CommandContext) throws {
            let (_, sources) = try Settings.effectiveEnvironment(context.io.environment, profile: context.profile, runCommands: false, askKeyring: true)
            var rows: [(key: String, value: String, source: String)] = []
            for (key, variable, _) in ConfigFile.keys {
                if let variable {
                    rows.append((key, context.environment[variable] ?? "", (sources[variable] ?? .notSet).description))
                } else if let value = context.profile.values[key] {
                    rows.append((key, value, SettingSource.profile(context.profile.name, file: context.profile.file).description))
                } else {
                    rows.append((key, "", SettingSource.notSet.description))
                }
            }
            for variable in [Settings.Variable.userSecret, Settings.Variable.orgSecret, Settings.Variable.clientSecret] {
                let source = sources[variable] ?? .notSet
                rows.append((variable, source == .notSet ? "" : "(set; never shown)", source.description))
            }
            if json {
                context.console.json(.array(rows.map { .object([.init("key", .string(JSONString($0.key))),
                                                               .init("value", .string(JSONString(context.console.safe.redacted($0.value)))),
                                                               .init("source", .string(JSONString($0.source)))]) }))
            } else {
                context.console.say("profile \(context.profile.name) (\(context.profile.file))")
                for row in rows { context.console.print("\(row.key)\t\(row.value)\t\(row.source)") }
            }
        }
    }
}
