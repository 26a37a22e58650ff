#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The Google authorization request (RFC 6749 section 4.1.1). Pure: builds a URL, nothing more.
///
/// A `code_challenge` comes only from `codeChallenge` (never from a template's parameters), and
/// only under `--exchange local`: when Cloud Elements redeems the code it cannot present a
/// verifier, and Google would refuse the code ("Missing code verifier.").
public struct AuthorizationRequest: Sendable {
    public var endpoint: URL
    public var clientID: String
    public var redirectURI: String
    public var scopes: [String]
    public var state: String
    /// Provider parameters from the template, e.g. `access_type=offline`, `prompt=consent`.
    public var extraParameters: [String: String]
    public var loginHint: String?
    /// The PKCE S256 challenge (RFC 7636 4.3), when ceauth redeems the code itself.
    public var codeChallenge: String?

    public init(endpoint: URL, clientID: String, redirectURI: String, scopes: [String], state: String,
                extraParameters: [String: String] = [:], loginHint: String? = nil, codeChallenge: String? = nil) {
        self.codeChallenge = codeChallenge
        self.endpoint = endpoint
        self.clientID = clientID
        self.redirectURI = redirectURI
        self.scopes = scopes
        self.state = state
        self.extraParameters = extraParameters
        self.loginHint = loginHint
    }

    public var queryItems: [(String, String)] {
        var items: [(String, String)] = [
            ("client_id", clientID),
            ("redirect_uri", redirectURI),
            ("response_type", "code"),
            ("scope", scopes.joined(separator: " ")),
            ("state", state),
        ]
        let fixed: Set<String> = ["client_id", "redirect_uri", "response_type", "scope", "state",
                                  "code_challenge", "code_challenge_method", "login_hint"]
        for (name, value) in extraParameters.sorted(by: { $0.key < $1.key }) where !fixed.contains(name) {
            items.append((name, value))
        }
        if let loginHint, !loginHint.isEmpty { items.append(("login_hint", loginHint)) }
        if let codeChallenge { items += [("code_challenge", codeChallenge), ("code_challenge_method", "S256")] }
        return items
    }

    public var url: URL {
        let base = endpoint.absoluteString
        let separator = endpoint.query == nil ? "?" : "&"
        // Built from encoded parts only, so the result always parses.
        return URL(string: base + separator + FormEncoding.query(queryItems))!
    }
}
