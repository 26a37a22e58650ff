#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The selected profile of the config file: `--profile`, else `CEAUTH_PROFILE`, else `default`.
public struct Profile: Sendable, Equatable {
    public var name: String
    public var values: [String: String]
    /// The config file read (it may not exist).
    public var file: String

    public init(name: String, values: [String: String], file: String) {
        self.name = name
        self.values = values
        self.file = file
    }

    public static func load(flag: String?, environment: [String: String]) throws -> Profile {
        let chosen = flag ?? Settings.nonEmpty(environment[Settings.Variable.profile])
        if let chosen { try ConfigFile.checkProfileName(chosen, option: flag != nil ? "--profile" : Settings.Variable.profile) }
        // No HOME and no XDG_CONFIG_HOME: no config file, which is fine unless a profile was asked for.
        guard let file = try? ConfigFile.path(environment: environment) else {
            if chosen != nil { _ = try ConfigFile.path(environment: environment) }
            return Profile(name: "default", values: [:], file: "(no config file: neither HOME nor XDG_CONFIG_HOME is set)")
        }
        let config = ConfigFile(text: try ConfigFileReader.read(file) ?? "")
        let name = chosen ?? "default"
        if chosen != nil && !config.profiles.contains(name) {
            throw ConfigurationError.invalidValue(option: flag != nil ? "--profile" : Settings.Variable.profile,
                                                  reason: "no profile '\(name)' in \(file)" + (config.profiles.isEmpty ? "" : "; it has " + config.profiles.joined(separator: ", ")) + "; create it with ceauth config set KEY VALUE --profile \(name)")
        }
        let values = config.values(profile: name)
        for key in values.keys { try ConfigFile.check(key: key) }
        for key in ConfigFile.secretCommands.keys {
            if let command = values[key], let problem = SecretCommand.problem(inLine: command) {
                throw ConfigurationError.invalidValue(option: "\(key) (profile \(name) in \(file))", reason: problem)
            }
        }
        if values["base-url"] != nil && values["env"] != nil {
            throw ConfigurationError.conflictingOptions("profile '\(name)' in \(file) sets both base-url and env; keep one")
        }
        return Profile(name: name, values: values, file: file)
    }
}

/// Where an effective setting came from, for `ceauth config list`.
public enum SettingSource: Sendable, Equatable, CustomStringConvertible {
    case environment(String)
    case profile(String, file: String)
    case command(String)
    /// `ceauth secrets set` put it in the Secret Service, for this profile.
    case keyring(profile: String)
    case notSet

    public var description: String {
        switch self {
        case .environment(let variable): return "environment (\(variable))"
        case .profile(let name, let file): return "profile \(name) (\(file))"
        case .command(let key): return "\(key) of the profile"
        case .keyring(let profile): return "Secret Service (ceauth secrets set, profile \(profile))"
        case .notSet: return "not set"
        }
    }
}

extension Settings {
    /// The environment commands read: the process's, with the profile's settings where the
    /// environment has none, and each secret a profile's command prints where its variable is
    /// unset. Flags are applied after this by each command: flags > environment > profile >
    /// defaults. `sources` says where each variable's value came from.
    /// `askKeyring` (default: as `runCommands`): whether the Secret Service is asked for the
    /// secrets still missing; a command that needs no secret never loads libsecret.
    public static func effectiveEnvironment(_ environment: [String: String], profile: Profile, runCommands: Bool = true,
                                            askKeyring: Bool? = nil,
                                            commandTimeout: Double = 10) throws -> (environment: [String: String], sources: [String: SettingSource]) {
        var merged = environment
        var sources: [String: SettingSource] = [:]
        for variable in environment.keys where variable.hasPrefix("CEAUTH_") { sources[variable] = .environment(variable) }
        for (key, variable, _) in ConfigFile.keys {
            guard let variable, let value = profile.values[key], nonEmpty(environment[variable]) == nil else { continue }
            merged[variable] = value
            sources[variable] = .profile(profile.name, file: profile.file)
        }
        // env = eu stands for the EU base URL, under CEAUTH_BASE_URL and --base-url/--env.
        if let name = profile.values["env"], nonEmpty(environment[Variable.baseURL]) == nil {
            guard let known = CloudElementsEnvironment(rawValue: name.lowercased()) else {
                throw ConfigurationError.invalidValue(option: "env (profile \(profile.name))", reason: "'\(name)' is not one of \(CloudElementsEnvironment.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            merged[Variable.baseURL] = known.baseURL.absoluteString
            sources[Variable.baseURL] = .profile(profile.name, file: profile.file)
        }
        for (key, variable) in ConfigFile.secretCommands.sorted(by: { $0.key < $1.key }) {
            guard let command = profile.values[key], nonEmpty(environment[variable]) == nil else { continue }
            sources[variable] = .command(key)
            if runCommands {
                merged[variable] = try SecretCommand.run(command, key: key, environment: environment, timeoutSeconds: commandTimeout)
            }
        }
        // Last, the keyring: only for a secret neither the environment nor a command gave, and
        // only where there is a session bus. A keyring that cannot answer is as good as empty
        // here: the command then says which variable is missing and how to set it.
        let missing = SecretKey.allCases.filter { sources[$0.variable] == nil && nonEmpty(environment[$0.variable]) == nil }
        if askKeyring ?? runCommands, !missing.isEmpty, nonEmpty(environment["DBUS_SESSION_BUS_ADDRESS"]) != nil,
           let keyring = try? SecretService(environment: environment), (try? keyring.check()) != nil {
            for key in missing {
                guard let value = try? keyring.lookup(.setting(key.rawValue, profile: profile.name)) else { continue }
                sources[key.variable] = .keyring(profile: profile.name)
                if runCommands { merged[key.variable] = value }
            }
        }
        return (merged, sources)
    }
}

