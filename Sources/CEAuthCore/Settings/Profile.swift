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
            if let command = values[key], let name = command.split(separator: " ").first, let problem = SecretCommand.problem(String(name)) {
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
    case notSet

    public var description: String {
        switch self {
        case .environment(let variable): return "environment (\(variable))"
        case .profile(let name, let file): return "profile \(name) (\(file))"
        case .command(let key): return "\(key) of the profile"
        case .notSet: return "not set"
        }
    }
}

extension Settings {
    /// The environment commands read: the process's, with the profile's settings where the
    /// environment has none, and each secret a profile's command prints where its variable is
    /// unset. Flags are applied after this by each command: flags > environment > profile >
    /// defaults. `sources` says where each variable's value came from.
    public static func effectiveEnvironment(_ environment: [String: String], profile: Profile, runCommands: Bool = true,
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
        return (merged, sources)
    }
}

/// A profile's `*-secret-command`: run without a shell (the line is split at spaces; quotes are
/// not interpreted), its first line of output is the secret. Bounded in time and size; its
/// output is never shown. It gets ceauth's environment without the other secrets, in a process
/// group of its own.
public enum SecretCommand {
    public static func run(_ line: String, key: String, environment: [String: String], timeoutSeconds: Double) throws -> String {
        let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        func fail(_ reason: String) -> ConfigurationError {
            .invalidValue(option: "\(key) (\(words.first ?? "empty"))", reason: reason)
        }
        guard let name = words.first else { throw fail("the command is empty") }
        if let problem = problem(name) { throw fail(problem) }
        guard let executable = ExecutableLookup.resolve(name, environment: environment) else {
            throw fail("'\(name)' is not an executable file or on PATH")
        }
        guard let (pid, output, errors) = OS.spawnCapturing(executable, arguments: Array(words.dropFirst()),
                                                            environment: Settings.childEnvironment(environment)) else {
            throw fail("it could not be started")
        }
        defer {
            OS.close(output)
            OS.close(errors)
        }
        var printed: [UInt8] = [], complained = 0
        var open = [output, errors]
        // What is there now, without waiting for the end: a helper the command left running
        // (a password manager's agent) may hold the pipes open long after the command exited.
        func drain() {
            for (index, fd) in open.enumerated().reversed() {
                while let bytes = OS.readSome(fd) {
                    if bytes.isEmpty { open.remove(at: index); break }
                    if fd == output { printed += bytes.prefix(max(0, 65536 - printed.count)) } else { complained += bytes.count }
                }
            }
        }
        let deadline = OS.monotonicSeconds() + timeoutSeconds
        var state = OS.state(of: pid)
        // The command's own exit ends the wait, not the end of its output.
        while state == .running {
            let left = deadline - OS.monotonicSeconds()
            guard left > 0 else {
                OS.killGroup(pid)
                _ = waitFor(pid, until: OS.monotonicSeconds() + 2)
                throw fail("it did not finish within \(Settings.plain(timeoutSeconds)) seconds (\(Settings.Variable.secretCommandTimeout)), so it and every process it started were stopped")
            }
            if open.isEmpty {
                OS.sleep(seconds: min(left, 0.01))
            } else {
                _ = OS.waitReadable(open, timeoutMilliseconds: Int32(min(left, 0.05) * 1000) + 1)
                drain()
            }
            state = OS.state(of: pid)
        }
        drain()
        switch state {
        case .exited(status: 0), .running: break
        case .exited(let status): throw fail("it exited with status \(status)" + (complained > 0 ? " (it wrote \(complained) bytes to stderr, not shown)" : ""))
        case .killed(let signal): throw fail("it was killed by signal \(signal)")
        }
        let first = String(decoding: printed, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init) ?? ""
        let secret = first.hasSuffix("\r") ? String(first.dropLast()) : first
        guard !secret.isEmpty else { throw fail("it printed nothing on its first line") }
        if ConfigurationError.controlCharacter(in: secret) != nil { throw fail("its first line has a control character") }
        return secret
    }

    /// Why a command name cannot be used, or nil: an absolute path or a bare name found on PATH
    /// only. A relative path would run whatever that name is in the folder ceauth is started in.
    public static func problem(_ name: String) -> String? {
        guard name.contains("/") && !name.hasPrefix("/") else { return nil }
        return "'\(name)' is a relative path, which runs whatever has that name in the current folder; give an absolute path or a bare name found on PATH"
    }

    private static func waitFor(_ pid: Int32, until deadline: Double) -> OS.ProcessState {
        var state = OS.state(of: pid)
        while state == .running && OS.monotonicSeconds() < deadline {
            OS.sleep(seconds: 0.01)
            state = OS.state(of: pid)
        }
        return state
    }
}
