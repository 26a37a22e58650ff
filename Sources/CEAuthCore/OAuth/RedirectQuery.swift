/// The query of a redirect to ceauth, read one way for the listener and for an address given
/// on standard input (`create`, `--paste`'s lines go through the listener's validator). Pure.
public enum RedirectQuery {
    public enum Problem: Error, Equatable {
        case unreadable
        /// A repeated parameter makes the redirect ambiguous (parameter pollution).
        case repeated(String)
    }

    /// The parameters by name; nil query counts as unreadable.
    public static func values(_ query: Substring?) -> Result<[String: String], Problem> {
        guard let query, let pairs = FormEncoding.parseQuery(query) else { return .failure(.unreadable) }
        var values: [String: String] = [:]
        for (name, value) in pairs {
            guard values[name] == nil else { return .failure(.repeated(name)) }
            values[name] = value
        }
        return .success(values)
    }

    /// What the redirect says once it is known to be this sign-in's: another issuer (RFC 9207
    /// mix-up), an error, a code for less than the element needs, or the code. Nil: neither a
    /// code nor an error.
    public static func outcome(_ values: [String: String], issuer: String?, required: [String], element: String) -> CallbackResult? {
        if let issuer, let iss = values["iss"], iss != issuer {
            return .failure(.issuerMismatch(expected: issuer, received: iss))
        }
        if let error = values["error"] {
            return .failure(.denied(OAuthErrorResponse(code: error.isEmpty ? "unknown" : error,
                                                       description: values["error_description"], uri: values["error_uri"])))
        }
        guard let code = values["code"], !code.isEmpty else { return nil }
        // Google lists what was granted; a code for less than the element needs goes nowhere.
        if let granted = values["scope"],
           let partial = Scopes.partialGrant(required: required, granted: Scopes.split(granted), element: element) {
            return .failure(partial)
        }
        return .code(code)
    }
}
