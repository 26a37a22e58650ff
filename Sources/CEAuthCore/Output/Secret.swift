import Foundation

/// A secret string (user secret, organization secret, client secret, instance token) that
/// prints as `<redacted>` wherever it is interpolated, dumped or reflected, so a stray
/// log line or error message cannot leak it. Read `.value` only where it is sent.
public struct Secret: Sendable, Equatable {
    public let value: String

    public init(_ value: String) {
        self.value = value
    }
}

extension Secret: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }
    public var customMirror: Mirror { Mirror(self, children: [:]) }
}

/// The last guard before a line reaches the terminal: any text from elsewhere (a server's
/// error message, say) that happens to contain one of the secrets has it replaced.
public struct Redactor: Sendable {
    private let values: [String]

    public init(_ secrets: [String]) {
        // Very short values would blank out ordinary words; real secrets are long.
        values = secrets.filter { $0.count >= 6 }.sorted { $0.count > $1.count }
    }

    /// The secrets named in the environment (`CEAUTH_USER_SECRET`, `CEAUTH_ORG_SECRET`,
    /// `CEAUTH_CLIENT_SECRET`), known even when the options around them are wrong.
    public init(environment: [String: String]) {
        let names = [LoginOptions.Variable.userSecret, LoginOptions.Variable.orgSecret,
                     LoginOptions.Variable.clientSecret]
        self.init(names.compactMap { environment[$0] })
    }

    public func redact(_ text: String) -> String {
        var out = text
        for value in values where out.contains(value) {
            out = out.replacingOccurrences(of: value, with: "<redacted>")
        }
        return out
    }
}
