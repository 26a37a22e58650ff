#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// ceauth's config file: profiles of settings, never secrets. The format, line by line:
///
///     # a comment
///     [default]
///     env = eu
///     [work]
///     client-id = 1234.apps.googleusercontent.com
///     user-secret-command = pass show ce/user
///
/// A `[name]` line starts a profile; `key = value` lines belong to the profile above them.
/// Rewriting keeps every other line (comments, other profiles, unknown keys) as it was. Pure.
public struct ConfigFile: Sendable, Equatable {
    public var lines: [String]

    public init(text: String) {
        lines = text.isEmpty ? [] : text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
    }

    public var text: String { lines.isEmpty ? "" : lines.joined(separator: "\n") + "\n" }

    /// The keys the config file may hold, and the variable each stands in for.
    public static let keys: [(key: String, variable: String?, help: String)] = [
        ("base-url", Settings.Variable.baseURL, "Cloud Elements API base URL"),
        ("env", nil, "Cloud Elements environment: us, eu or staging"),
        ("client-id", Settings.Variable.clientID, "the Google OAuth client id"),
        ("keyfile", Settings.Variable.keyfile, "where instances are saved"),
        ("templates", Settings.Variable.templates, "a folder of extra or replacement templates"),
        ("redirect-uri", nil, "login's fixed loopback redirect URI"),
        ("events-url", nil, "login's events URL"),
        ("tags", nil, "login's instance tags, comma-separated"),
        ("exchange", nil, "login's code exchange: cloud-elements or local (PKCE)"),
        ("token-store", nil, "where new instance tokens go: keyfile or secret-service"),
        ("user-secret-command", nil, "a command that prints the Cloud Elements user secret"),
        ("org-secret-command", nil, "a command that prints the Cloud Elements organization secret"),
        ("client-secret-command", nil, "a command that prints the Google client secret"),
    ]

    /// Secret commands and the variables they fill.
    public static let secretCommands = [
        "user-secret-command": Settings.Variable.userSecret, "org-secret-command": Settings.Variable.orgSecret,
        "client-secret-command": Settings.Variable.clientSecret,
    ]

    /// Refuses unknown keys, and secrets above all: they belong in the environment or a command.
    public static func check(key: String) throws(ConfigurationError) {
        if key.contains("secret") && !key.hasSuffix("-command") {
            let variable = secretCommands[key + "-command"] ?? "CEAUTH_USER_SECRET, CEAUTH_ORG_SECRET or CEAUTH_CLIENT_SECRET"
            throw .invalidValue(option: key, reason: "secrets are never stored in the config file; keep it in \(variable), or set \(key)-command to a command that prints it")
        }
        guard keys.contains(where: { $0.key == key }) else {
            throw .invalidValue(option: key, reason: "not a setting ceauth knows; known: " + keys.map(\.key).joined(separator: ", "))
        }
    }

    /// A profile name is a word of letters, digits, '.', '_' and '-': anything else (a newline,
    /// a ']') could end the `[name]` line and inject lines of its own.
    public static func checkProfileName(_ name: String, option: String) throws(ConfigurationError) {
        let allowed = name.unicodeScalars.allSatisfy { scalar in
            (scalar.value < 0x80 && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar))) || ".-_".unicodeScalars.contains(scalar)
        }
        guard !name.isEmpty && allowed else {
            throw .invalidValue(option: option, reason: "'\(name)' is not a profile name; use letters, digits, '.', '_' and '-' only")
        }
    }

    /// The profile's values, in file order (a key given twice: the last wins, as in most INI readers).
    public func values(profile: String) -> [String: String] {
        var values: [String: String] = [:]
        var current: String?
        for line in lines {
            let trimmed = line.trimmingWhitespace()
            if trimmed.isEmpty || trimmed.hasPrefix("#") || trimmed.hasPrefix(";") { continue }
            if trimmed.hasPrefix("[") && trimmed.hasSuffix("]") {
                current = String(trimmed.dropFirst().dropLast()).trimmingWhitespace()
                continue
            }
            guard current == profile, let equals = trimmed.firstIndex(of: "=") else { continue }
            values[trimmed[..<equals].trimmingWhitespace()] = trimmed[trimmed.index(after: equals)...].trimmingWhitespace()
        }
        return values
    }

    public var profiles: [String] {
        lines.map { $0.trimmingWhitespace() }.filter { $0.hasPrefix("[") && $0.hasSuffix("]") }
            .map { String($0.dropFirst().dropLast()).trimmingWhitespace() }
    }

    /// Sets (or with nil removes) a key of a profile, keeping every other line.
    public mutating func set(_ key: String, _ value: String?, profile: String) {
        var current: String?
        var sectionEnd: Int?
        var found: [Int] = []
        for (index, line) in lines.enumerated() {
            let trimmed = line.trimmingWhitespace()
            if trimmed.hasPrefix("[") && trimmed.hasSuffix("]") {
                current = String(trimmed.dropFirst().dropLast()).trimmingWhitespace()
                if current == profile { sectionEnd = index + 1 }
                continue
            }
            guard current == profile else { continue }
            if !trimmed.isEmpty { sectionEnd = index + 1 }
            if let equals = trimmed.firstIndex(of: "="), trimmed[..<equals].trimmingWhitespace() == key { found.append(index) }
        }
        for index in found.reversed() { lines.remove(at: index) }
        guard let value else { return }
        let line = "\(key) = \(value)"
        if let end = sectionEnd {
            lines.insert(line, at: end - found.filter { $0 < end }.count)
        } else {
            if !lines.isEmpty && lines.last?.isEmpty == false { lines.append("") }
            lines += ["[\(profile)]", line]
        }
    }

    /// `$XDG_CONFIG_HOME/ceauth/config`, else `~/.config/ceauth/config`; `CEAUTH_CONFIG` names another.
    public static func path(environment: [String: String]) throws(KeyfileError) -> String {
        if let path = Settings.nonEmpty(environment[Settings.Variable.config]) { return path }
        return try Settings.configFolder(environment: environment) + "/config"
    }
}
