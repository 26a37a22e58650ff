/// Comparing the scopes asked for with the scopes Google granted. Pure.
public enum Scopes {
    /// Google's short forms and the URLs they stand for: a grant may name either.
    static let equivalents: [String: String] = [
        "email": "https://www.googleapis.com/auth/userinfo.email",
        "profile": "https://www.googleapis.com/auth/userinfo.profile",
    ]

    /// One spelling per scope: short forms expanded, a trailing slash dropped (Google writes
    /// `https://mail.google.com/` and accepts it without the slash).
    static func canonical(_ scope: String) -> String {
        var value = equivalents[scope] ?? scope
        while value.hasSuffix("/") && value.contains("://") { value.removeLast() }
        return value
    }

    /// `--scope` as given (repeatable; each may hold several, space- or comma-separated), for
    /// every command that takes it. Nil when none was given; an error when all were empty.
    public static func fromOptions(_ values: [String]) throws(ConfigurationError) -> [String]? {
        guard !values.isEmpty else { return nil }
        let scopes = values.flatMap { $0.split(whereSeparator: { $0 == " " || $0 == "," }).map(String.init) }
        guard !scopes.isEmpty else { throw .invalidValue(option: "--scope", reason: "no scope given") }
        return scopes
    }

    /// A `scope` parameter (space-separated; a `+` from a careless encoder counts as a space).
    public static func split(_ text: String) -> [String] {
        text.split(whereSeparator: { $0 == " " || $0 == "+" }).map(String.init)
    }

    /// The required scopes the grant does not cover, as they were asked for. A grant of more
    /// than was asked (include_granted_scopes, an earlier consent) is fine.
    public static func missing(required: [String], granted: [String]) -> [String] {
        let have = Set(granted.map(canonical))
        return required.filter { !have.contains(canonical($0)) }
    }

    /// The partial grant a `scope` value shows (the redirect's, a pasted address's, or the token
    /// response's split one), or nil when it covers what `element` needs.
    public static func partialGrant(required: [String], granted: [String], element: String) -> AuthorizationError? {
        let missing = missing(required: required, granted: granted)
        return missing.isEmpty ? nil : .partialGrant(missing: missing, element: element)
    }
}
